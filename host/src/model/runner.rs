//! The suite runner: every case of every suite, in parallel, against one compiled
//! module per policy.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::admission_response::AdmissionResponse;
use super::document::InputError;
use super::expectations::{check_response, expect_host_error, scan_for_secrets};
use super::junit::{self, JunitCase};
use super::suite::{CapabilitySource, Case, PreparedCase, Suite, looks_like_suite};
use crate::capabilities::{CapabilityBackend, NoBackend, ReplayBackend, ReplayError};
use crate::evaluation::{Outcome, Policy, PolicyOptions, evaluate_capturing};
use crate::runtime::Runtime;

pub struct RunnerOptions {
    /// Where `policy: NAME` modules live (`<dist>/NAME.wasm`).
    pub dist_dir: PathBuf,
    pub junit: Option<PathBuf>,
    /// Write every case's full outcome as JSON (the behaviour record).
    pub record_responses: Option<PathBuf>,
    /// Compare every case's full outcome with a record written earlier; a difference fails.
    pub compare_responses: Option<PathBuf>,
    /// Cases evaluated at once (each on its own thread).
    pub jobs: NonZeroUsize,
}

#[derive(Debug, Default)]
pub struct RunSummary {
    pub passed: usize,
    pub failed: usize,
    /// Some input could not be used (exit code 2).
    pub unusable: bool,
}

struct CaseResult {
    failure: Option<String>,
    /// The full outcome (response, rejected settings or host error), for the behaviour record.
    outcome: Value,
    unusable: bool,
    elapsed: Duration,
    verdict: Verdict,
}

/// What the policy decided, for the verdict column and the summary table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Allowed,
    Warned,
    Mutated,
    Denied,
    InvalidSettings,
    HostError,
}

impl Verdict {
    const ALL: [Verdict; 6] = [
        Verdict::Allowed,
        Verdict::Warned,
        Verdict::Mutated,
        Verdict::Denied,
        Verdict::InvalidSettings,
        Verdict::HostError,
    ];

    fn of(response: &AdmissionResponse) -> Self {
        if !response.allowed {
            Verdict::Denied
        } else if response.patch.is_some() {
            Verdict::Mutated
        } else if response.warnings.as_ref().is_some_and(|w| !w.is_empty()) {
            Verdict::Warned
        } else {
            Verdict::Allowed
        }
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Warned => "warned",
            Verdict::Mutated => "mutated",
            Verdict::Denied => "denied",
            Verdict::InvalidSettings => "invalid-settings",
            Verdict::HostError => "host-error",
        }
    }
}

/// Expands directories into the suite files they contain (recursively, sorted).
pub fn collect_suite_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk_yaml(path, &mut found)?;
            found.sort();
            files.extend(found.into_iter().filter(|f| looks_like_suite(f)));
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(InputError::new(format!(
                "{} does not exist",
                path.display()
            )));
        }
    }
    Ok(files)
}

fn walk_yaml(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(format!("cannot read directory {}: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk_yaml(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            found.push(path);
        }
    }
    Ok(())
}

/// Finds `dist/` next to the workspace root that contains `start` (a `Cargo.toml` with
/// `[workspace]`), else `./dist`.
pub fn default_dist_dir(start: &Path) -> PathBuf {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|toml| toml.contains("[workspace]"))
        })
        .map_or_else(|| PathBuf::from("dist"), |root| root.join("dist"))
}

fn backend_for(source: &CapabilitySource) -> Result<Arc<dyn CapabilityBackend>, ReplayError> {
    let backend: Arc<dyn CapabilityBackend> = match source {
        CapabilitySource::None => Arc::new(NoBackend),
        CapabilitySource::World(world) => world.clone(),
        CapabilitySource::Replay(path) => Arc::new(ReplayBackend::from_file(path)?),
    };
    Ok(backend)
}

fn run_prepared(
    suite: &Suite,
    case: &Case,
    prepared: &PreparedCase,
    policy: &Policy,
) -> (Vec<String>, Verdict, Value) {
    let backend = match backend_for(&prepared.capabilities) {
        Ok(backend) => backend,
        Err(error) => {
            let error = error.to_string();
            let outcome = serde_json::json!({ "hostError": error });
            return (
                expect_host_error(&case.expect, &error),
                Verdict::HostError,
                outcome,
            );
        }
    };
    let options = match &prepared.allowed_capabilities {
        Some(allowed) => &PolicyOptions {
            allowed_capabilities: allowed.clone(),
            ..suite.options.clone()
        },
        None => &suite.options,
    };
    let evaluation = evaluate_capturing(
        policy,
        options,
        backend,
        &prepared.settings,
        &prepared.request,
    );
    let verdict = match &evaluation.outcome {
        Err(_) => Verdict::HostError,
        Ok(Outcome::InvalidSettings(_)) => Verdict::InvalidSettings,
        Ok(Outcome::Response(response)) => Verdict::of(response),
    };
    let outcome = match &evaluation.outcome {
        Err(error) => serde_json::json!({ "hostError": error.to_string() }),
        Ok(Outcome::InvalidSettings(message)) => serde_json::json!({ "invalidSettings": message }),
        Ok(Outcome::Response(response)) => serde_json::json!({
            "response": serde_json::to_value(response).unwrap_or(Value::Null),
            "decodedPatch": response.decoded_patch().transpose().ok().flatten(),
        }),
    };
    let (mut problems, output_text) = match evaluation.outcome {
        Err(error) => {
            let text = error.to_string();
            (expect_host_error(&case.expect, &text), text)
        }
        Ok(Outcome::InvalidSettings(message)) => (
            match &case.expect.invalid_settings {
                Some(wanted) if message.contains(wanted.as_str()) => Vec::new(),
                Some(wanted) => vec![format!(
                    "invalidSettings: expected to contain {wanted:?}, got {message:?}"
                )],
                None => vec![format!(
                    "settings rejected: Provided settings are not valid: {message}"
                )],
            },
            message,
        ),
        Ok(Outcome::Response(response)) => (
            check_response(&case.expect, &response, prepared.request.object.as_ref()),
            response.to_json(),
        ),
    };
    let diagnostics = evaluation.diagnostics.join("\n");
    problems.extend(scan_for_secrets(
        &suite.planted_secrets,
        &[
            ("response", &output_text),
            ("guest output", &evaluation.guest_output),
            ("host diagnostics", &diagnostics),
        ],
    ));
    if !problems.is_empty() && !evaluation.diagnostics.is_empty() {
        problems.push("host diagnostics:".to_owned());
        problems.extend(evaluation.diagnostics.iter().map(|l| format!("  | {l}")));
    }
    if !problems.is_empty() && !evaluation.guest_output.is_empty() {
        problems.push("guest output:".to_owned());
        const SHOWN: usize = 40;
        let lines: Vec<&str> = evaluation.guest_output.lines().collect();
        problems.extend(lines.iter().take(SHOWN).map(|l| format!("  | {l}")));
        if lines.len() > SHOWN {
            problems.push(format!("  | ... ({} more lines)", lines.len() - SHOWN));
        }
    }
    (problems, verdict, outcome)
}

fn run_case(suite: &Suite, case: &Case, policy: &Result<Policy, InputError>) -> CaseResult {
    let started = Instant::now();
    let (problems, unusable, verdict, outcome) = match (&case.prepared, policy) {
        (Err(error), _) => {
            let mut problems = expect_host_error(&case.expect, &error.message);
            problems.extend(scan_for_secrets(
                &suite.planted_secrets,
                &[("host error", &error.message)],
            ));
            let unusable = error.unusable && !problems.is_empty();
            let outcome = serde_json::json!({ "hostError": error.message });
            (problems, unusable, Verdict::HostError, outcome)
        }
        (Ok(_), Err(error)) => (
            expect_host_error(&case.expect, &error.0),
            false,
            Verdict::HostError,
            serde_json::json!({ "hostError": error.0 }),
        ),
        (Ok(prepared), Ok(policy)) => {
            let (problems, verdict, outcome) = run_prepared(suite, case, prepared, policy);
            (problems, false, verdict, outcome)
        }
    };
    CaseResult {
        verdict,
        outcome,
        failure: (!problems.is_empty()).then(|| problems.join("\n")),
        unusable,
        elapsed: started.elapsed(),
    }
}

/// Runs `jobs` on `workers` threads, each taking the next job index.
pub(crate) fn parallel_map<T: Sync, R: Send>(
    jobs: &[T],
    workers: NonZeroUsize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let workers = workers.get().min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(index) else { break };
                        done.push((index, work(job)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a suite worker panicked"))
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, r)| r).collect()
}

/// One row per suite: how many cases ended in each verdict, and how many failed.
fn print_verdict_table(names: &[String], jobs: &[(usize, usize)], results: &[CaseResult]) {
    let mut rows: BTreeMap<usize, ([usize; 6], usize)> = BTreeMap::new();
    for (&(s, _), result) in jobs.iter().zip(results) {
        let row = rows.entry(s).or_default();
        row.0[result.verdict as usize] += 1;
        row.1 += usize::from(result.failure.is_some());
    }
    let width = names.iter().map(String::len).max().unwrap_or(5).max(5);
    println!();
    print!("{:<width$}", "suite");
    for verdict in Verdict::ALL {
        print!(" {:>16}", verdict.label());
    }
    println!(" {:>6}", "FAILED");
    for (s, (counts, failed)) in &rows {
        print!("{:<width$}", names[*s]);
        for count in counts {
            print!(" {count:>16}");
        }
        println!(" {failed:>6}");
    }
    println!();
}

/// Runs suites, printing one line per case and the final `N passed, N failed`.
pub fn run(
    runtime: &Runtime,
    suite_paths: &[PathBuf],
    options: &RunnerOptions,
) -> Result<RunSummary, InputError> {
    let files = collect_suite_files(suite_paths)?;
    if files.is_empty() {
        return Err(InputError::new("no suite files found"));
    }
    // An unusable suite is reported and skipped; the others still run (exit code 2).
    let mut broken = Vec::new();
    let suites: Vec<Suite> = files
        .iter()
        .filter_map(|f| match Suite::load(f, &options.dist_dir) {
            Ok(suite) => Some(suite),
            Err(error) => {
                broken.push(error.to_string());
                None
            }
        })
        .collect();

    // One compiled module per distinct path, compiled in parallel.
    let modules: Vec<PathBuf> = suites
        .iter()
        .map(|s| s.module.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let compile_started = Instant::now();
    let loaded = parallel_map(&modules, options.jobs, |path| Policy::load(runtime, path));
    let compile_time = compile_started.elapsed();
    let policies: BTreeMap<PathBuf, Result<Policy, InputError>> =
        modules.into_iter().zip(loaded).collect();

    let jobs: Vec<(usize, usize)> = suites
        .iter()
        .enumerate()
        .flat_map(|(s, suite)| (0..suite.cases.len()).map(move |c| (s, c)))
        .collect();
    let cases_started = Instant::now();
    let results = parallel_map(&jobs, options.jobs, |&(s, c)| {
        let suite = &suites[s];
        run_case(suite, &suite.cases[c], &policies[&suite.module])
    });
    let cases_time = cases_started.elapsed();

    let mut summary = RunSummary {
        unusable: !broken.is_empty(),
        ..RunSummary::default()
    };
    for error in &broken {
        println!("ERROR {error}");
    }
    let mut junit_cases = Vec::new();
    let names: Vec<String> = suites
        .iter()
        .map(|s| s.path.display().to_string())
        .collect();
    for (&(s, c), result) in jobs.iter().zip(&results) {
        let case = &suites[s].cases[c];
        let millis = result.elapsed.as_millis();
        match &result.failure {
            None => {
                summary.passed += 1;
                println!(
                    "ok   {:<16} {} :: {} ({millis} ms)",
                    result.verdict.label(),
                    names[s],
                    case.name
                );
            }
            Some(details) => {
                summary.failed += 1;
                summary.unusable |= result.unusable;
                println!(
                    "FAIL {:<16} {} :: {} ({millis} ms)",
                    result.verdict.label(),
                    names[s],
                    case.name
                );
                for line in details.lines() {
                    println!("    {line}");
                }
            }
        }
        junit_cases.push(JunitCase {
            suite: &names[s],
            name: &case.name,
            seconds: result.elapsed.as_secs_f64(),
            failure: result.failure.clone(),
            other: None,
        });
    }
    print_verdict_table(&names, &jobs, &results);
    let record: BTreeMap<String, &Value> = jobs
        .iter()
        .zip(&results)
        .map(|(&(s, c), result)| {
            (
                format!("{} :: {}", names[s], suites[s].cases[c].name),
                &result.outcome,
            )
        })
        .collect();
    if let Some(path) = &options.record_responses {
        let json = serde_json::to_string_pretty(&record).unwrap_or_default() + "\n";
        std::fs::write(path, json)
            .map_err(|e| InputError::new(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &options.compare_responses {
        let differences = compare_with_record(path, &record)?;
        for line in &differences {
            println!("CHANGED {line}");
        }
        if !differences.is_empty() {
            println!(
                "{} case(s) answer differently from the record {}",
                differences.len(),
                path.display()
            );
            summary.failed += differences.len();
            summary.passed = summary.passed.saturating_sub(differences.len());
        }
    }
    // Before the last line, which stays "N passed, N failed" (CI reads it).
    println!(
        "{} module(s) loaded in {:.2} s; {} case(s) in {:.2} s on {} worker(s): {:.0} cases/s",
        policies.len(),
        compile_time.as_secs_f64(),
        jobs.len(),
        cases_time.as_secs_f64(),
        options.jobs.get().min(jobs.len().max(1)),
        jobs.len() as f64 / cases_time.as_secs_f64().max(1e-9),
    );
    println!("{} passed, {} failed", summary.passed, summary.failed);
    if let Some(path) = &options.junit {
        std::fs::write(path, junit::render(&junit_cases))
            .map_err(|e| InputError::new(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(summary)
}

/// Every case whose outcome differs from the record at `path` (or is missing on either side).
fn compare_with_record(
    path: &Path,
    record: &BTreeMap<String, &Value>,
) -> Result<Vec<String>, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(format!("cannot read {}: {e}", path.display())))?;
    let expected: BTreeMap<String, Value> = serde_json::from_str(&text)
        .map_err(|e| InputError::new(format!("{}: not a response record: {e}", path.display())))?;
    let mut differences = Vec::new();
    for (key, outcome) in record {
        match expected.get(key) {
            None => differences.push(format!("{key}: not in the record")),
            Some(wanted) if wanted != *outcome => {
                differences.push(format!("{key}: recorded {wanted}, now {outcome}"));
            }
            Some(_) => {}
        }
    }
    differences.extend(
        expected
            .keys()
            .filter(|key| !record.contains_key(*key))
            .map(|key| format!("{key}: in the record, but no longer run")),
    );
    Ok(differences)
}
