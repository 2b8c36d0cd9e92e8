//! Policy speed as ratios against a baseline measured in the same run.
//!
//! For each policy of the workspace and one representative request fixture:
//! - `native`: the policy crate's `validate` compiled natively, called directly with the
//!   payload the host sends (`{"request": ..., "settings": ...}`) — the baseline;
//! - `wasm_fresh_instance`: policy-server style, a fresh instance per evaluation
//!   (instantiate + `_start`/`wapc_init` + `validate`) through the kwhost library API;
//! - `wasm_instantiate`: instantiate + `_start`/`wapc_init` only, the fixed per-request cost;
//! - `wasm_reused_instance`: `validate` only, on one instance reused for every iteration;
//! - `wasm_kwctl_evaluate`: `kwhost::evaluation::evaluate`, kwctl's full evaluation
//!   (fresh instance, `validate_settings`, `validate`, response mapping).
//!
//! After the criterion groups a table of ratios is printed from criterion's own mean
//! estimates (`<criterion dir>/<group>/<bench>/new/estimates.json`).
//! Run with `make bench` or `cargo bench -p kwhost --bench policies`; the wasm modules
//! come from `make policies` (dist/<policy>.wasm).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::Criterion;
use kwhost::capabilities::{AllowList, CapabilityBackend, Dispatcher, NoBackend};
use kwhost::evaluation::{Outcome, Policy, PolicyOptions, evaluate};
use kwhost::model::admission_request::{NormalisedRequest, normalise};
use kwhost::model::settings::{Settings, from_value};
use kwhost::runtime::{ExecutionLimits, GuestStdio, HostCallback, ModuleCache, Runtime};
use serde_json::{Value, json};

/// `wapc_guest::CallResult`, spelt out so kwhost needs no wapc-guest dependency.
type NativeValidate = fn(&[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;

/// One policy, its native entry point and the request it is measured on.
struct Case {
    name: &'static str,
    native: NativeValidate,
    /// Relative to tests/fixtures/<name>/.
    fixture: &'static str,
}

const CASES: [Case; 4] = [
    Case {
        name: "secret-handling",
        native: secret_handling::validate,
        fixture: "deployment-plaintext.json",
    },
    Case {
        name: "image-provenance",
        native: image_provenance::validate,
        fixture: "pod-update.json",
    },
    Case {
        name: "restart-policy",
        native: restart_policy::validate,
        fixture: "deployment-sidecar-istio.json",
    },
    Case {
        name: "rbac-least-privilege",
        native: rbac_least_privilege::validate,
        fixture: "clusterrole-harmless.json",
    },
];

const BENCHES: [&str; 5] = [
    "native",
    "wasm_fresh_instance",
    "wasm_instantiate",
    "wasm_reused_instance",
    "wasm_kwctl_evaluate",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

fn main() {
    let root = workspace_root();
    let missing: Vec<PathBuf> = CASES
        .iter()
        .map(|case| root.join("dist").join(format!("{}.wasm", case.name)))
        .filter(|path| !path.is_file())
        .collect();
    if !missing.is_empty() {
        for path in &missing {
            eprintln!("policies bench: {} is missing", path.display());
        }
        eprintln!("policies bench: run `make policies` first to build dist/*.wasm; skipping.");
        return;
    }

    let runtime = Runtime::new(ModuleCache::disabled()).expect("wasmtime engine");
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let ran = RefCell::new(BTreeSet::new());
    for case in &CASES {
        bench_policy(&mut criterion, &runtime, &root, case, &ran);
    }
    criterion.final_summary();
    print_ratios(&ran.borrow());
}

/// The fixture as kwhost sends it, with empty settings: `{"request": ..., "settings": {}}`.
fn load_request(root: &Path, case: &Case) -> (NormalisedRequest, Settings, Vec<u8>) {
    let path = root
        .join("tests/fixtures")
        .join(case.name)
        .join(case.fixture);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let document: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let request = normalise(document, &path.display().to_string()).expect("valid fixture");
    let settings = from_value(json!({}), "bench").expect("empty settings");
    // Exactly what evaluation::run_guest builds for the `validate` call.
    let payload = json!({"request": request.value, "settings": settings});
    let payload = serde_json::to_vec(&payload).expect("payload serialises");
    (request, settings, payload)
}

fn bench_policy(
    criterion: &mut Criterion,
    runtime: &Runtime,
    root: &Path,
    case: &Case,
    ran: &RefCell<BTreeSet<(String, String)>>,
) {
    let wasm = root.join("dist").join(format!("{}.wasm", case.name));
    let policy = Policy::load(runtime, &wasm).unwrap_or_else(|e| panic!("{e}"));
    let (request, settings, payload) = load_request(root, case);
    let limits = ExecutionLimits::default();
    let stdio = GuestStdio::Inherit;
    let backend: Arc<dyn CapabilityBackend> = Arc::new(NoBackend);
    let callback = || -> Arc<dyn HostCallback> {
        Arc::new(Dispatcher::new(
            AllowList::allow_all(),
            Vec::new(),
            backend.clone(),
        ))
    };

    // Same answer natively and in wasm, and no host capability needed: otherwise the
    // comparison would not be one.
    let native = (case.native)(&payload).expect("native validate succeeds");
    // The warm instance lives for the whole group: give it the longest per-call timeout, whose
    // evaluation bound (2x) outlasts the measurement (the default would stop it after 4 s).
    let warm_limits = ExecutionLimits {
        timeout: Duration::from_secs(300),
        ..limits
    };
    let mut reused = policy
        .module
        .instantiate(warm_limits, &stdio, callback())
        .expect("instantiate");
    let wasm_answer = reused.call("validate", &payload).expect("wasm validate");
    assert_eq!(
        String::from_utf8_lossy(&native),
        String::from_utf8_lossy(&wasm_answer),
        "{}: native and wasm answers differ",
        case.name
    );
    let options = PolicyOptions::default();
    match evaluate(&policy, &options, backend.clone(), &settings, &request) {
        Ok(Outcome::Response(_)) => {}
        other => panic!("{}: unexpected kwctl evaluation {other:?}", case.name),
    }
    println!(
        "{} on {}: {}",
        case.name,
        case.fixture,
        String::from_utf8_lossy(&native)
    );

    let mut group = criterion.benchmark_group(case.name);
    let mark = |bench: &str| {
        ran.borrow_mut()
            .insert((case.name.to_owned(), bench.to_owned()));
    };
    group.bench_function(BENCHES[0], |b| {
        mark(BENCHES[0]);
        b.iter(|| (case.native)(black_box(&payload)).expect("validate"))
    });
    group.bench_function(BENCHES[1], |b| {
        mark(BENCHES[1]);
        b.iter(|| {
            let mut instance = policy
                .module
                .instantiate(limits, &stdio, callback())
                .expect("instantiate");
            instance
                .call("validate", black_box(&payload))
                .expect("validate")
        })
    });
    group.bench_function(BENCHES[2], |b| {
        mark(BENCHES[2]);
        b.iter(|| {
            policy
                .module
                .instantiate(limits, &stdio, callback())
                .expect("instantiate")
        })
    });
    group.bench_function(BENCHES[3], |b| {
        mark(BENCHES[3]);
        b.iter(|| {
            reused
                .call("validate", black_box(&payload))
                .expect("validate")
        })
    });
    group.bench_function(BENCHES[4], |b| {
        mark(BENCHES[4]);
        b.iter(|| {
            evaluate(&policy, &options, backend.clone(), &settings, &request).expect("evaluation")
        })
    });
    group.finish();
}

/// Where criterion writes its estimates (its own rule: `CRITERION_HOME`, else
/// `<cargo target dir>/criterion`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // <target>/<profile>/deps/policies-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .map(|target| target.join("criterion"))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// Criterion's mean estimate in nanoseconds, if this run measured the benchmark.
fn mean_ns(dir: &Path, ran: &BTreeSet<(String, String)>, group: &str, bench: &str) -> Option<f64> {
    if !ran.contains(&(group.to_owned(), bench.to_owned())) {
        return None;
    }
    let path = dir.join(group).join(bench).join("new/estimates.json");
    let estimates: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

fn format_ns(ns: Option<f64>) -> String {
    match ns {
        Some(ns) if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        Some(ns) if ns >= 1e3 => format!("{:.1} µs", ns / 1e3),
        Some(ns) => format!("{ns:.0} ns"),
        None => "-".to_owned(),
    }
}

fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> String {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => format!("{:.1}x", n / d),
        _ => "-".to_owned(),
    }
}

fn percent(numerator: Option<f64>, denominator: Option<f64>) -> String {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => format!("{:.0}%", 100.0 * n / d),
        _ => "-".to_owned(),
    }
}

fn print_ratios(ran: &BTreeSet<(String, String)>) {
    if ran.is_empty() {
        return;
    }
    let dir = criterion_dir();
    println!();
    println!("Means (criterion estimates in {}):", dir.display());
    println!(
        "| policy | (a) native | (b) wasm fresh instance | (c) instantiate + init | (d) wasm reused instance | kwctl evaluate | b/a | c/b | d/a |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for case in &CASES {
        let [a, b, c, d, e] = BENCHES.map(|bench| mean_ns(&dir, ran, case.name, bench));
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            case.name,
            format_ns(a),
            format_ns(b),
            format_ns(c),
            format_ns(d),
            format_ns(e),
            ratio(b, a),
            percent(c, b),
            ratio(d, a),
        );
    }
    println!(
        "b/a: a fresh-instance wasm evaluation against native validate; \
         c/b: share of it spent instantiating (+ _start, wapc_init); \
         d/a: wasm validate alone against native."
    );
}
