//! `kwhost test`: run suites (docs/suites.md).

use std::path::PathBuf;
use std::process::ExitCode;

use std::num::NonZeroUsize;

use super::{AllocationChoice, CommandError, new_runtime_with};
use crate::model::runner::{self, RunnerOptions, default_dist_dir};

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Suite files, or directories searched recursively for suites.
    #[arg(required = true)]
    pub suites: Vec<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Where `policy: NAME` modules are (default: `dist/` at the workspace root).
    #[arg(long, value_name = "DIR")]
    pub dist: Option<PathBuf>,
    /// Write every case's full outcome (allowed, status, patch, warnings, audit annotations,
    /// rejected settings or host error) as one JSON object keyed by `suite :: case`.
    #[arg(long, value_name = "FILE")]
    pub record_responses: Option<PathBuf>,
    /// Fail every case whose full outcome differs from a record written by `--record-responses`.
    #[arg(long, value_name = "FILE")]
    pub compare_responses: Option<PathBuf>,
    /// Cases evaluated at once (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<NonZeroUsize>,
    /// How instances get their memories: wasmtime's pooling allocator (slots reserved once,
    /// memories reset in place; the default) or its on-demand allocator (kwctl's).
    #[arg(long, value_enum, default_value_t = AllocationChoice::Pooling)]
    pub allocation: AllocationChoice,
}

pub fn execute(args: TestArgs) -> Result<ExitCode, CommandError> {
    let dist_dir = args.dist.clone().unwrap_or_else(|| {
        let first = args.suites.first().cloned().unwrap_or_default();
        default_dist_dir(if first.is_dir() {
            &first
        } else {
            first.parent().unwrap_or(&first)
        })
    });
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    let runtime = new_runtime_with(args.allocation.for_workers(jobs.get()))?;
    let summary = runner::run(
        &runtime,
        &args.suites,
        &RunnerOptions {
            dist_dir,
            junit: args.junit,
            record_responses: args.record_responses,
            compare_responses: args.compare_responses,
            jobs,
        },
    )?;
    Ok(if summary.unusable {
        ExitCode::from(2)
    } else if summary.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
