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
    /// Embed metadata.yml (and the README as usage) into a module (like `kwctl annotate`).
    Annotate(AnnotateArgs),
    /// Show the metadata embedded in a module or a `registry://` reference.
    Inspect(InspectArgs),
    /// Push an annotated policy to an OCI registry.
    Push(PushArgs),
    /// Pull a policy from an OCI registry.
    Pull(PullArgs),
    /// Generate Artifact Hub packages and cluster manifests.
    Scaffold(ScaffoldArgs),
}

#[derive(Debug, clap::Args)]
pub struct AnnotateArgs {
    /// The policy module.
    pub module: PathBuf,
    #[arg(short = 'm', long = "metadata-path")]
    pub metadata_path: PathBuf,
    /// Markdown stored as `io.kubewarden.policy.usage`.
    #[arg(short = 'u', long = "usage-path")]
    pub usage_path: Option<PathBuf>,
    #[arg(short = 'o', long = "output-path")]
    pub output_path: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// A module path (`file://` accepted) or `registry://` reference.
    pub module: String,
    /// `yaml` for the raw metadata; the default is a readable summary.
    #[arg(short = 'o', long, value_parser = ["pretty", "yaml"])]
    pub output: Option<String>,
    /// Plain HTTP for a local registry.
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The annotated module.
    pub module: PathBuf,
    /// `[registry://]registry/repository:tag`.
    pub reference: String,
    /// Plain HTTP for a local registry.
    #[arg(long)]
    pub insecure: bool,
    /// `json` prints `{"immutable_ref": ...}`.
    #[arg(short = 'o', long, value_parser = ["text", "json"])]
    pub output: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// `[registry://]registry/repository:tag` or `...@sha256:...`.
    pub reference: String,
    #[arg(short = 'o', long = "output-path")]
    pub output_path: PathBuf,
    /// Plain HTTP for a local registry.
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScaffoldArgs {
    #[command(subcommand)]
    pub command: ScaffoldCommand,
}

#[derive(Debug, Subcommand)]
pub enum ScaffoldCommand {
    /// `artifacthub-pkg.yml` from metadata.yml (like `kwctl scaffold artifacthub`).
    Artifacthub(ArtifactHubArgs),
    /// A ClusterAdmissionPolicy or AdmissionPolicy.
    Manifest(ManifestArgs),
    /// A `policies.yml` for a stand-alone policy-server.
    PolicyServerConfig(PolicyServerConfigArgs),
}

#[derive(Debug, clap::Args)]
pub struct ArtifactHubArgs {
    #[arg(short = 'm', long = "metadata-path")]
    pub metadata_path: PathBuf,
    #[arg(short = 'q', long = "questions-path")]
    pub questions_path: Option<PathBuf>,
    /// RFC 3339 `createdAt` (pass the policy's last commit date for reproducible output).
    #[arg(long)]
    pub created_at: String,
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ManifestArgs {
    #[arg(short = 'm', long = "metadata-path")]
    pub metadata_path: PathBuf,
    /// Module reference, e.g. `registry://ghcr.io/org/policy:v1.0.0`.
    #[arg(long)]
    pub module: String,
    /// Settings, YAML or JSON.
    #[arg(short = 's', long = "settings-path")]
    pub settings_path: Option<PathBuf>,
    /// `ClusterAdmissionPolicy` or `AdmissionPolicy`.
    #[arg(short = 't', long = "type", default_value = "ClusterAdmissionPolicy")]
    pub r#type: String,
    /// `metadata.name` of the policy resource.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PolicyServerConfigArgs {
    /// `ID=MODULE_REF,METADATA_PATH[,SETTINGS_PATH]`, repeatable.
    #[arg(long = "policy", required = true)]
    pub policies: Vec<String>,
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
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
    /// Write every case's full outcome (allowed, status, patch, warnings, audit annotations,
    /// rejected settings or host error) as one JSON object keyed by `suite :: case`.
    #[arg(long, value_name = "FILE")]
    pub record_responses: Option<PathBuf>,
    /// Fail every case whose full outcome differs from a record written by `--record-responses`.
    #[arg(long, value_name = "FILE")]
    pub compare_responses: Option<PathBuf>,
}

impl Cli {
    /// Runs the command; errors are printed as `Error: <message>` on stderr.
    pub fn execute(self) -> ExitCode {
        let result = match self.command {
            Command::Run(args) => commands::run::execute(args),
            Command::Test(args) => commands::test::execute(args),
            Command::Annotate(args) => commands::artifact::annotate(args),
            Command::Inspect(args) => commands::artifact::inspect(args),
            Command::Push(args) => commands::artifact::push(args),
            Command::Pull(args) => commands::artifact::pull(args),
            Command::Scaffold(args) => commands::artifact::scaffold(args),
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
