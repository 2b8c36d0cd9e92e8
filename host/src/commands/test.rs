//! `kwhost test`: run suites (docs/suites.md).

use std::process::ExitCode;

use super::{CommandError, new_runtime};
use crate::cli::TestArgs;
use crate::model::runner::{self, RunnerOptions, default_dist_dir};

pub fn execute(args: TestArgs) -> Result<ExitCode, CommandError> {
    let dist_dir = args.dist.clone().unwrap_or_else(|| {
        let first = args.suites.first().cloned().unwrap_or_default();
        default_dist_dir(if first.is_dir() {
            &first
        } else {
            first.parent().unwrap_or(&first)
        })
    });
    let runtime = new_runtime()?;
    let summary = runner::run(
        &runtime,
        &args.suites,
        &RunnerOptions {
            dist_dir,
            junit: args.junit,
            record_responses: args.record_responses,
            compare_responses: args.compare_responses,
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
