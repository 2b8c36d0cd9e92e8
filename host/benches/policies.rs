//! Policy speed as ratios against baselines measured in the same run (docs/performance.md).
//!
//! For each policy and each representative request of `tests/bench/` (with the settings of
//! `tests/bench/settings/<policy>.yaml`, which switch on every rule the request can reach):
//! - `native`: the policy crate's `validate` compiled natively, called with the payload the
//!   host sends (`{"request": ..., "settings": ...}`): the baseline of the wasm module;
//! - `warm`: `validate` on one instance reused for every iteration (what `kwctl bench` times);
//! - `fresh/<allocation>`: a fresh instance per evaluation, as the policy-server builds one per
//!   request (instantiate + `_start`/`wapc_init` + `validate`), with wasmtime's on-demand
//!   allocator and with its pooling allocator;
//! - `instantiate/<allocation>`: instantiate + `_start`/`wapc_init` only.
//!
//! Then the scaling series (`tests/bench/generate.py --scaling DIR` writes them; `make bench`
//! does): `native` and `warm` on objects of growing size, with the log-log slope of each series
//! (1 is linear). Means come from criterion's own estimates; the tables are printed after the
//! groups and written as JSON to `<criterion dir>/kwhost-summary.json`, which
//! `tests/bench/report.py` turns into the SVG plot of docs/performance.md.
//!
//! Run with `make bench`; the wasm modules come from `make policies` (dist/<policy>.wasm).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use kwhost::capabilities::{AllowList, Dispatcher, NoBackend};
use kwhost::evaluation::Policy;
use kwhost::model::admission_request::normalise;
use kwhost::model::document::read_document;
use kwhost::model::settings::from_text;
use kwhost::runtime::{
    Allocation, ExecutionLimits, GuestInstance, GuestStdio, HostCallback, ModuleCache, Runtime,
};
use serde_json::{Value, json};

/// `wapc_guest::CallResult`, spelt out so kwhost needs no wapc-guest dependency.
type NativeValidate = fn(&[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;

struct PolicyUnderTest {
    name: &'static str,
    native: NativeValidate,
    /// Requests of tests/bench/ it is measured on.
    requests: &'static [&'static str],
    /// Scaling series of `generate.py --scaling`: the file prefix.
    series: &'static [&'static str],
}

const POLICIES: [PolicyUnderTest; 4] = [
    PolicyUnderTest {
        name: "secret-handling",
        native: secret_handling::validate,
        requests: &[
            "pod-small",
            "deployment",
            "pod-100-containers",
            "configmap-1mib",
        ],
        series: &["pod-containers", "configmap-kib"],
    },
    PolicyUnderTest {
        name: "image-provenance",
        native: image_provenance::validate,
        requests: &["pod-small", "deployment", "pod-100-containers"],
        series: &["pod-containers"],
    },
    PolicyUnderTest {
        name: "restart-policy",
        native: restart_policy::validate,
        requests: &["pod-small", "deployment", "pod-100-containers"],
        series: &["pod-containers"],
    },
    PolicyUnderTest {
        name: "rbac-least-privilege",
        native: rbac_least_privilege::validate,
        requests: &["clusterrole-50-rules"],
        series: &["clusterrole-rules"],
    },
];

const ALLOCATIONS: [&str; 2] = ["on-demand", "pooling"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// Where `generate.py --scaling` wrote the series: `KWHOST_BENCH_SCALING`, else
/// `target/bench/scaling`.
fn scaling_dir(root: &Path) -> PathBuf {
    std::env::var_os("KWHOST_BENCH_SCALING")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/bench/scaling"))
}

/// The `validate` payload kwhost sends for a request file and settings file.
fn payload(request: &Path, settings: &Path) -> Vec<u8> {
    let document = read_document(request).unwrap_or_else(|e| panic!("{e}"));
    let request = normalise(document, &request.display().to_string()).expect("valid request");
    let text = std::fs::read_to_string(settings)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", settings.display()));
    let settings = from_text(&text, &settings.display().to_string()).expect("valid settings");
    serde_json::to_vec(&json!({"request": request.value, "settings": settings}))
        .expect("a JSON value serialises")
}

struct Modules {
    /// One runtime per allocation strategy, each with the policy loaded.
    by_allocation: Vec<(&'static str, Policy)>,
}

impl Modules {
    fn load(runtimes: &[(&'static str, Runtime)], wasm: &Path) -> Self {
        let by_allocation = runtimes
            .iter()
            .map(|(name, runtime)| {
                (
                    *name,
                    Policy::load(runtime, wasm).unwrap_or_else(|e| panic!("{e}")),
                )
            })
            .collect();
        Self { by_allocation }
    }
}

fn instantiate(policy: &Policy, limits: ExecutionLimits) -> GuestInstance {
    let callback: Arc<dyn HostCallback> = Arc::new(Dispatcher::new(
        AllowList::allow_all(),
        Vec::new(),
        Arc::new(NoBackend),
    ));
    policy
        .module
        .instantiate(limits, &GuestStdio::Inherit, callback)
        .expect("instantiate")
}

/// The warm instance lives for a whole group: the longest per-call timeout, whose evaluation
/// bound (2x) outlasts the measurement (the default would stop it after 4 s).
fn warm_limits() -> ExecutionLimits {
    ExecutionLimits {
        timeout: Duration::from_secs(300),
        ..ExecutionLimits::default()
    }
}

/// Same answer natively and in wasm, without any host capability: otherwise the comparison
/// would not be one. Compared as JSON: the audit annotations are a hash map, whose order
/// differs between runs.
fn check_same_answer(
    label: &str,
    native: NativeValidate,
    warm: &mut GuestInstance,
    payload: &[u8],
) {
    let native = native(payload).expect("native validate succeeds");
    let wasm = warm.call("validate", payload).expect("wasm validate");
    let parse = |bytes: &[u8]| -> Value {
        serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{label}: answer is not JSON: {e}"))
    };
    assert_eq!(
        parse(&native),
        parse(&wasm),
        "{label}: native and wasm answers differ"
    );
}

/// Benchmarks run, as (group, bench) pairs: criterion leaves older estimates on disk.
type Ran = RefCell<Vec<(String, String)>>;

fn bench_request(
    criterion: &mut Criterion,
    modules: &Modules,
    policy: &PolicyUnderTest,
    request: &str,
    payload: &[u8],
    ran: &Ran,
) {
    let group_name = format!("{}/{request}", policy.name);
    let (_, on_demand) = &modules.by_allocation[0];
    let mut warm = instantiate(on_demand, warm_limits());
    check_same_answer(&group_name, policy.native, &mut warm, payload);
    let mut group = criterion.benchmark_group(&group_name);
    // The ratios of the acceptance table come from these groups: twice the scaling series'
    // measurement time, for steadier medians on a shared machine.
    group.measurement_time(Duration::from_secs(2));
    // Recorded only when criterion runs the benchmark (a filter may skip it).
    let mut bench = |id: String, f: &mut dyn FnMut()| {
        group.bench_function(id.clone(), |b| {
            ran.borrow_mut().push((group_name.clone(), id.clone()));
            b.iter(&mut *f)
        });
    };
    bench("native".into(), &mut || {
        (policy.native)(black_box(payload)).expect("validate");
    });
    bench("warm".into(), &mut || {
        warm.call("validate", black_box(payload)).expect("validate");
    });
    for (allocation, module) in &modules.by_allocation {
        bench(format!("fresh/{allocation}"), &mut || {
            let mut instance = instantiate(module, ExecutionLimits::default());
            instance
                .call("validate", black_box(payload))
                .expect("validate");
        });
        bench(format!("instantiate/{allocation}"), &mut || {
            black_box(instantiate(module, ExecutionLimits::default()));
        });
    }
    group.finish();
}

/// The files of one scaling series, by size, smallest first.
fn series_files(dir: &Path, prefix: &str) -> Vec<(u64, PathBuf)> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let size = name.strip_prefix(prefix)?.strip_prefix('-')?;
            let size = size.strip_suffix(".json")?.parse().ok()?;
            Some((size, entry.path()))
        })
        .collect();
    files.sort();
    files
}

fn bench_series(
    criterion: &mut Criterion,
    modules: &Modules,
    policy: &PolicyUnderTest,
    series: &str,
    settings: &Path,
    ran: &Ran,
) {
    let files = series_files(&scaling_dir(&workspace_root()), series);
    if files.is_empty() {
        return;
    }
    let group_name = format!("{}/scaling-{series}", policy.name);
    let (_, on_demand) = &modules.by_allocation[0];
    let mut warm = instantiate(on_demand, warm_limits());
    let mut group = criterion.benchmark_group(&group_name);
    for (size, file) in files {
        let payload = payload(&file, settings);
        check_same_answer(&group_name, policy.native, &mut warm, &payload);
        for (id, wasm) in [("native", false), ("warm", true)] {
            group.bench_with_input(BenchmarkId::new(id, size), &payload, |b, payload| {
                ran.borrow_mut()
                    .push((group_name.clone(), format!("{id}/{size}")));
                if wasm {
                    b.iter(|| warm.call("validate", black_box(payload)).expect("validate"))
                } else {
                    b.iter(|| (policy.native)(black_box(payload)).expect("validate"))
                }
            });
        }
    }
    group.finish();
}

fn main() {
    let root = workspace_root();
    let missing: Vec<PathBuf> = POLICIES
        .iter()
        .map(|p| root.join("dist").join(format!("{}.wasm", p.name)))
        .filter(|path| !path.is_file())
        .collect();
    if !missing.is_empty() {
        for path in &missing {
            eprintln!("policies bench: {} is missing", path.display());
        }
        eprintln!("policies bench: run `make policies` first to build dist/*.wasm; skipping.");
        return;
    }
    let runtimes: Vec<(&'static str, Runtime)> = ALLOCATIONS
        .iter()
        .map(|&name| {
            let allocation = match name {
                "pooling" => Allocation::pooling_for(4),
                _ => Allocation::OnDemand,
            };
            let runtime = Runtime::with_allocation(ModuleCache::disabled(), allocation)
                .expect("wasmtime engine");
            (name, runtime)
        })
        .collect();
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    let ran = Ran::default();
    for policy in &POLICIES {
        let modules = Modules::load(&runtimes, &root.join(format!("dist/{}.wasm", policy.name)));
        let settings = root.join(format!("tests/bench/settings/{}.yaml", policy.name));
        for request in policy.requests {
            let file = root.join(format!("tests/bench/{request}.json"));
            if !file.is_file() {
                eprintln!(
                    "policies bench: {} is missing (python3 tests/bench/generate.py writes it)",
                    file.display()
                );
                continue;
            }
            let payload = payload(&file, &settings);
            bench_request(&mut criterion, &modules, policy, request, &payload, &ran);
        }
        for series in policy.series {
            bench_series(&mut criterion, &modules, policy, series, &settings, &ran);
        }
    }
    criterion.final_summary();
    let summary = summary(&ran.borrow());
    print_tables(&summary);
    let path = criterion_dir().join("kwhost-summary.json");
    if let Err(e) = std::fs::write(
        &path,
        serde_json::to_vec_pretty(&summary).expect("a JSON value serialises"),
    ) {
        eprintln!("policies bench: cannot write {}: {e}", path.display());
    } else {
        println!("summary: {}", path.display());
    }
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

/// Criterion's median estimate of one benchmark, in nanoseconds. Criterion names a directory
/// after a group or function id with `/` replaced by `_`, and nests a parameter's directory
/// in its function's (`native/500` of a scaling series).
fn median_ns(dir: &Path, group: &str, bench: &str) -> Option<f64> {
    let group = dir.join(group.replace('/', "_"));
    let path = [group.join(bench.replace('/', "_")), group.join(bench)]
        .into_iter()
        .map(|path| path.join("new/estimates.json"))
        .find(|path| path.is_file())?;
    let estimates: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

/// `{group: {bench: median ns}}` of the benchmarks this run measured.
fn summary(ran: &[(String, String)]) -> BTreeMap<String, BTreeMap<String, f64>> {
    let dir = criterion_dir();
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for (group, bench) in ran {
        if let Some(ns) = median_ns(&dir, group, bench) {
            out.entry(group.clone())
                .or_default()
                .insert(bench.clone(), ns);
        }
    }
    out
}

fn micros(ns: Option<f64>) -> String {
    ns.map_or("-".to_owned(), |ns| format!("{:.1}", ns / 1e3))
}

fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> String {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => format!("{:.2}x", n / d),
        _ => "-".to_owned(),
    }
}

/// Least-squares slope of log(time) against log(size): 1 is linear, 2 quadratic. Sizes
/// below a tenth of the largest are left out, where fixed costs dominate.
fn log_log_slope(points: &[(f64, f64)]) -> Option<f64> {
    let largest = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(size, time)| *size >= largest / 10.0 && *time > 0.0)
        .map(|(size, time)| (size.ln(), time.ln()))
        .collect();
    if logs.len() < 2 {
        return None;
    }
    let n = logs.len() as f64;
    let (mx, my) = (
        logs.iter().map(|p| p.0).sum::<f64>() / n,
        logs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = logs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = logs.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

fn print_tables(summary: &BTreeMap<String, BTreeMap<String, f64>>) {
    println!();
    println!(
        "Medians in µs (criterion estimates, {}):",
        criterion_dir().display()
    );
    println!(
        "| policy / request | native | warm | fresh on-demand | fresh pooling | instantiate on-demand | instantiate pooling | warm/native | pooling/on-demand instantiate | fresh/warm (pooling) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (group, benches) in summary {
        if group.contains("/scaling-") {
            continue;
        }
        let get = |id: &str| benches.get(id).copied();
        println!(
            "| {group} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            micros(get("native")),
            micros(get("warm")),
            micros(get("fresh/on-demand")),
            micros(get("fresh/pooling")),
            micros(get("instantiate/on-demand")),
            micros(get("instantiate/pooling")),
            ratio(get("warm"), get("native")),
            ratio(get("instantiate/pooling"), get("instantiate/on-demand")),
            ratio(get("fresh/pooling"), get("warm")),
        );
    }
    println!();
    println!("Scaling (log-log slope over the largest decade: 1 is linear, 2 quadratic):");
    println!("| series | sizes | native slope | warm slope | warm µs at largest |");
    println!("|---|---|---:|---:|---:|");
    for (group, benches) in summary {
        let Some(series) = group.split_once("/scaling-").map(|(_, s)| s) else {
            continue;
        };
        let points = |id: &str| -> Vec<(f64, f64)> {
            benches
                .iter()
                .filter_map(|(bench, ns)| {
                    let size = bench.strip_prefix(id)?.strip_prefix('/')?.parse().ok()?;
                    Some((size, *ns))
                })
                .collect()
        };
        let (native, warm) = (points("native"), points("warm"));
        let mut sizes: Vec<f64> = warm.iter().map(|p| p.0).collect();
        sizes.sort_by(f64::total_cmp);
        let largest = warm.iter().max_by(|a, b| a.0.total_cmp(&b.0)).map(|p| p.1);
        let slope = |p: &[(f64, f64)]| log_log_slope(p).map_or("-".into(), |s| format!("{s:.2}"));
        println!(
            "| {group} ({series}) | {} to {} | {} | {} | {} |",
            sizes.first().copied().unwrap_or(0.0),
            sizes.last().copied().unwrap_or(0.0),
            slope(&native),
            slope(&warm),
            micros(largest),
        );
    }
}
