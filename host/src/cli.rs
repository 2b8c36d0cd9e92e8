//! Command-line interface (clap derive). One variant per subcommand, each implemented
//! in `commands/`; add new subcommands (annotate, inspect, push, pull, scaffold, ...)
//! as a variant here plus a module there.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{self, CommandError};
use crate::model::admission_response::PolicyMode;

#[derive(Debug, Parser)]
#[command(
    name = "kwhost",
    version,
    about = "Run Kubewarden waPC policies like kwctl and policy-server do"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate one request, printing the AdmissionResponse (like `kwctl run`).
    Run(RunArgs),
    /// Run test suites (see docs/suites.md).
    Test(TestArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The policy module (`file://` prefix accepted).
    pub module: String,
    /// AdmissionReview or AdmissionRequest, JSON or YAML (`-` for stdin).
    #[arg(short = 'r', long)]
    pub request_path: PathBuf,
    /// Settings file, JSON or YAML.
    #[arg(short = 's', long, conflicts_with = "settings_json")]
    pub settings_path: Option<PathBuf>,
    /// Settings as a JSON string.
    #[arg(long)]
    pub settings_json: Option<String>,
    /// Answer host capabilities from a kwctl recorded session.
    #[arg(long, value_name = "FILE", conflicts_with = "world")]
    pub replay_host_capabilities_interactions: Option<PathBuf>,
    /// Answer host capabilities from a world file (docs/suites.md).
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,
    /// Grant the contextAwareResources of the module's metadata.
    #[arg(long)]
    pub allow_context_aware: bool,
    /// Host capability patterns (`*`, `oci/*`, `kubernetes/can_i`, ...); none = deny all.
    #[arg(long, num_args = 0.., value_delimiter = ',', default_value = "*")]
    pub allowed_host_capabilities: Vec<String>,
    #[arg(long, value_enum, default_value_t = PolicyMode::Protect)]
    pub mode: PolicyMode,
    /// Epoch deadline for each guest call, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub timeout: f64,
    /// Memory cap per instance, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub memory_limit: usize,
}

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
}

impl Cli {
    /// Runs the command; errors are printed as `Error: <message>` on stderr.
    pub fn execute(self) -> ExitCode {
        let result = match self.command {
            Command::Run(args) => commands::run::execute(args),
            Command::Test(args) => commands::test::execute(args),
        };
        match result {
            Ok(code) => code,
            Err(error) => {
                eprintln!("Error: {error}");
                ExitCode::from(match error {
                    CommandError::Unusable(_) => 2,
                    CommandError::Failed(_) => 1,
                })
            }
        }
    }
}
