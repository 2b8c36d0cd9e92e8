//! `kwhost bench`: the counterpart of `kwctl bench`. For each module: compile time, load time
//! from the compiled-module cache, instantiate + `wapc_init`, `validate_settings`, `validate`
//! on a fresh instance (what the policy-server does per request) and on a warm one (what
//! `kwctl bench` measures), with min / median / p99, evaluations per second on one core and
//! on every core, and the peak linear memory of an instance.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kwhost_artifact::metadata::ContextAwareResource;
use serde_json::json;

use super::run::{backend, read_request, read_settings};
use super::{AllocationChoice, CommandError};
use crate::capabilities::{AllowList, CapabilityBackend, Dispatcher};
use crate::evaluation::Policy;
use crate::model::admission_request;
use crate::model::document::InputError;
use crate::runtime::{
    Allocation, CapturedOutput, ExecutionLimits, GuestInstance, GuestStdio, ModuleCache, Runtime,
    default_cache_dir,
};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Policy modules (`.wasm`, or `.wat`).
    #[arg(required = true)]
    pub modules: Vec<PathBuf>,
    /// The request: an AdmissionReview or a bare AdmissionRequest, JSON or YAML (`-`: stdin).
    #[arg(short = 'r', long)]
    pub request_path: PathBuf,
    /// Settings file (JSON or YAML).
    #[arg(short = 's', long, conflicts_with = "settings_json")]
    pub settings_path: Option<PathBuf>,
    /// Settings as a JSON string.
    #[arg(long)]
    pub settings_json: Option<String>,
    /// Answers host-capability calls from a world file (docs/suites.md).
    #[arg(long)]
    pub world: Option<PathBuf>,
    /// Grant the module's contextAwareResources.
    #[arg(long)]
    pub allow_context_aware: bool,
    /// Seconds each measurement runs before it is timed.
    #[arg(long, default_value_t = 0.5)]
    pub warm_up_time: f64,
    /// Seconds each measurement is timed.
    #[arg(long, default_value_t = 2.0)]
    pub measurement_time: f64,
    /// Instance allocation: wasmtime's on-demand allocator, its pooling allocator
    /// (copy-on-write memory images), or both (`on-demand,pooling`: one after the other, with
    /// their ratios).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [AllocationChoice::OnDemand, AllocationChoice::Pooling])]
    pub allocation: Vec<AllocationChoice>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Timings of one measurement, in microseconds.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Stats {
    pub samples: usize,
    pub min_us: f64,
    pub median_us: f64,
    pub p99_us: f64,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let at = |q: f64| {
            let i = ((samples.len() - 1) as f64 * q).round() as usize;
            samples[i].as_secs_f64() * 1e6
        };
        Stats {
            samples: samples.len(),
            min_us: at(0.0),
            median_us: at(0.5),
            p99_us: at(0.99),
        }
    }
}

#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub module: String,
    pub allocation: &'static str,
    pub compile_ms: f64,
    pub cache_load_ms: f64,
    pub instantiate: Stats,
    pub validate_settings: Stats,
    pub validate_fresh: Stats,
    pub validate_warm: Stats,
    pub evaluations_per_second_one_core: f64,
    pub evaluations_per_second_all_cores: f64,
    pub cores: usize,
    pub peak_memory_bytes: usize,
}

/// Everything one evaluation needs, shared by the measuring threads.
struct Bench {
    policy: Policy,
    granted: Vec<ContextAwareResource>,
    backend: Arc<dyn CapabilityBackend>,
    settings: Vec<u8>,
    payload: Vec<u8>,
}

impl Bench {
    fn instantiate(&self) -> Result<GuestInstance, CommandError> {
        self.instantiate_with(ExecutionLimits::default())
    }

    /// An instance that lives for a whole measurement: the longest per-call timeout, whose
    /// evaluation bound (2x) outlasts it (the default bound would stop it after 4 s).
    fn instantiate_warm(&self) -> Result<GuestInstance, CommandError> {
        self.instantiate_with(ExecutionLimits {
            timeout: Duration::from_secs(300),
            ..ExecutionLimits::default()
        })
    }

    fn instantiate_with(&self, limits: ExecutionLimits) -> Result<GuestInstance, CommandError> {
        let dispatcher = Dispatcher::new(
            AllowList::allow_all(),
            self.granted.clone(),
            self.backend.clone(),
        );
        self.policy
            .module
            .instantiate(
                limits,
                &GuestStdio::Capture(CapturedOutput::new()),
                Arc::new(dispatcher),
            )
            .map_err(|e| CommandError::Failed(format!("initialisation failed: {}", e.message)))
    }

    fn call(
        instance: &mut GuestInstance,
        operation: &str,
        payload: &[u8],
    ) -> Result<(), CommandError> {
        instance
            .call(operation, payload)
            .map(drop)
            .map_err(|e| CommandError::Failed(format!("{operation} failed: {}", e.message)))
    }

    /// A fresh instance and one `validate` call: one policy-server request.
    fn fresh_evaluation(&self) -> Result<GuestInstance, CommandError> {
        let mut instance = self.instantiate()?;
        Self::call(&mut instance, "validate", &self.payload)?;
        Ok(instance)
    }
}

/// Runs `step` for the warm-up time, then samples it for the measurement time (at least 10
/// samples). `step` returns the duration it measured.
fn measure(
    times: (Duration, Duration),
    mut step: impl FnMut() -> Result<Duration, CommandError>,
) -> Result<Stats, CommandError> {
    let (warm_up, measurement) = times;
    let start = Instant::now();
    while start.elapsed() < warm_up {
        step()?;
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < measurement || samples.len() < 10 {
        samples.push(step()?);
    }
    Ok(Stats::of(samples))
}

fn timed<T>(f: impl FnOnce() -> Result<T, CommandError>) -> Result<(T, Duration), CommandError> {
    let start = Instant::now();
    let value = f()?;
    Ok((value, start.elapsed()))
}

/// Fresh evaluations per second over `time` on `threads` threads at once.
fn throughput(bench: &Bench, threads: usize, time: Duration) -> Result<f64, CommandError> {
    let start = Instant::now();
    let counts = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut count = 0u64;
                    while start.elapsed() < time {
                        bench.fresh_evaluation()?;
                        count += 1;
                    }
                    Ok::<u64, CommandError>(count)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a measuring thread never panics"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64())
}

fn seconds(value: f64, flag: &str) -> Result<Duration, InputError> {
    if value.is_finite() && (0.0..=600.0).contains(&value) {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(InputError::new(format!(
            "{flag}: a number of seconds from 0 to 600, got {value}"
        )))
    }
}

/// What every module is measured on, read once.
struct Inputs {
    /// Warm-up and measurement time.
    times: (Duration, Duration),
    backend: Arc<dyn CapabilityBackend>,
    allow_context_aware: bool,
    /// `validate_settings`'s payload.
    settings: Vec<u8>,
    /// `validate`'s payload.
    payload: Vec<u8>,
}

impl Inputs {
    fn read(args: &BenchArgs) -> Result<Self, InputError> {
        let times = (
            seconds(args.warm_up_time, "--warm-up-time")?,
            seconds(args.measurement_time, "--measurement-time")?,
        );
        let request = admission_request::normalise(
            read_request(&args.request_path)?,
            &args.request_path.display().to_string(),
        )?;
        let settings = read_settings(args.settings_path.as_deref(), args.settings_json.as_deref())?;
        let payload = json!({"request": request.value, "settings": settings});
        Ok(Self {
            times,
            backend: backend(None, args.world.as_deref())?,
            allow_context_aware: args.allow_context_aware,
            settings: serde_json::to_vec(&settings).expect("settings always serialise"),
            payload: serde_json::to_vec(&payload).expect("a JSON value always serialises"),
        })
    }
}

fn bench_module(
    inputs: &Inputs,
    path: &Path,
    (allocation_name, allocation): (&'static str, Allocation),
) -> Result<Report, CommandError> {
    let times = inputs.times;
    let bytes = std::fs::read(path)
        .map_err(|e| InputError::new(format!("cannot read {}: {e}", path.display())))?;
    let new_runtime = |cache| {
        Runtime::with_allocation(cache, allocation).map_err(|e| CommandError::Failed(e.to_string()))
    };
    let load = |runtime: &Runtime| {
        runtime
            .load_module_bytes(path, &bytes)
            .map_err(|e| CommandError::Unusable(e.to_string()))
    };
    // Compile without a cache, then store in and load from kwhost's cache.
    let uncached = new_runtime(ModuleCache::disabled())?;
    let (_, compile) = timed(|| load(&uncached))?;
    let runtime = new_runtime(ModuleCache::new(default_cache_dir()))?;
    load(&runtime)?;
    let (module, cache_load) = timed(|| load(&runtime))?;
    let policy = Policy::from_module(module)?;
    let bench = Bench {
        granted: policy.granted_resources(inputs.allow_context_aware),
        policy,
        backend: inputs.backend.clone(),
        settings: inputs.settings.clone(),
        payload: inputs.payload.clone(),
    };

    let instantiate = measure(times, || timed(|| bench.instantiate()).map(|(_, d)| d))?;
    let validate_settings = measure(times, || {
        let mut instance = bench.instantiate()?;
        timed(|| Bench::call(&mut instance, "validate_settings", &bench.settings)).map(|(_, d)| d)
    })?;
    let mut peak_memory = 0;
    let validate_fresh = measure(times, || {
        let (instance, d) = timed(|| bench.fresh_evaluation())?;
        peak_memory = peak_memory.max(instance.peak_memory_bytes());
        Ok(d)
    })?;
    let mut warm = bench.instantiate_warm()?;
    let validate_warm = measure(times, || {
        timed(|| Bench::call(&mut warm, "validate", &bench.payload)).map(|(_, d)| d)
    })?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Ok(Report {
        module: path.display().to_string(),
        allocation: allocation_name,
        compile_ms: compile.as_secs_f64() * 1e3,
        cache_load_ms: cache_load.as_secs_f64() * 1e3,
        instantiate,
        validate_settings,
        validate_fresh,
        validate_warm,
        evaluations_per_second_one_core: throughput(&bench, 1, times.1)?,
        evaluations_per_second_all_cores: throughput(&bench, cores, times.1)?,
        cores,
        peak_memory_bytes: peak_memory,
    })
}

fn table(reports: &[Report]) -> String {
    let mut out = format!(
        "{:<28} {:>10} {:>10} {:>10} {:>16} {:>16} {:>16} {:>16} {:>10} {:>10} {:>9}\n",
        "module",
        "allocation",
        "compile",
        "cache",
        "instantiate",
        "validate_settings",
        "validate fresh",
        "validate warm",
        "eval/s 1",
        "eval/s all",
        "memory"
    );
    let stats = |s: &Stats| format!("{:.1}/{:.1} µs", s.median_us, s.p99_us);
    for r in reports {
        let name = std::path::Path::new(&r.module)
            .file_name()
            .map_or(r.module.clone(), |n| n.to_string_lossy().into_owned());
        out.push_str(&format!(
            "{:<28} {:>10} {:>7.1} ms {:>7.2} ms {:>16} {:>16} {:>16} {:>16} {:>10.0} {:>10.0} {:>6.1} MiB\n",
            name,
            r.allocation,
            r.compile_ms,
            r.cache_load_ms,
            stats(&r.instantiate),
            stats(&r.validate_settings),
            stats(&r.validate_fresh),
            stats(&r.validate_warm),
            r.evaluations_per_second_one_core,
            r.evaluations_per_second_all_cores,
            r.peak_memory_bytes as f64 / (1024.0 * 1024.0)
        ));
    }
    out.push_str("timings: median/p99 of the samples; memory: peak linear memory of an instance\n");
    for pair in reports.windows(2) {
        let [a, b] = pair else { continue };
        if a.module == b.module && a.allocation == "on-demand" && b.allocation == "pooling" {
            out.push_str(&format!(
                "{}: pooling/on-demand instantiate {:.2}x, fresh/warm validate {:.2}x (pooling) {:.2}x (on-demand)\n",
                a.module,
                b.instantiate.median_us / a.instantiate.median_us,
                b.validate_fresh.median_us / b.validate_warm.median_us,
                a.validate_fresh.median_us / a.validate_warm.median_us,
            ));
        }
    }
    out
}

pub fn execute(args: BenchArgs) -> Result<ExitCode, CommandError> {
    // Every input is read and checked before the first (slow) compilation.
    let inputs = Inputs::read(&args)?;
    let mut reports = Vec::new();
    for path in &args.modules {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        for choice in &args.allocation {
            let strategy = (choice.name(), choice.for_workers(cores));
            reports.push(bench_module(&inputs, path, strategy)?);
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).expect("reports always serialise")
        );
    } else {
        print!("{}", table(&reports));
    }
    Ok(ExitCode::SUCCESS)
}
