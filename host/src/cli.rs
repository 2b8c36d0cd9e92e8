//! Command-line interface (clap derive): the [`Cli`] and its [`Command`] enum only. Each
//! subcommand's arguments and implementation live together in `commands/`; a new
//! subcommand is a variant here plus a module there.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::artifact::{AnnotateArgs, InspectArgs, PullArgs, PushArgs, ScaffoldArgs};
use crate::commands::audit::AuditArgs;
use crate::commands::bench::BenchArgs;
use crate::commands::run::RunArgs;
use crate::commands::signing::{GenerateKeyPairArgs, SignArgs, VerifyArgs};
use crate::commands::test::TestArgs;
use crate::commands::{self, CommandError};

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
    /// Judge a cluster dump with policies, offline: what would they deny today?
    Audit(AuditArgs),
    /// Measure policies: compile, cache load, instantiate, validate fresh and warm (like `kwctl bench`).
    Bench(BenchArgs),
    /// Embed metadata.yml (and the README as usage) into a module (like `kwctl annotate`).
    Annotate(AnnotateArgs),
    /// Show the metadata embedded in a module or a `registry://` reference.
    Inspect(InspectArgs),
    /// Push an annotated policy to an OCI registry.
    Push(PushArgs),
    /// Pull a policy from an OCI registry (verified first with the verification flags).
    Pull(PullArgs),
    /// Write a cosign key pair: `cosign.key` (encrypted; passphrase from COSIGN_PASSWORD or the
    /// terminal) and `cosign.pub`.
    GenerateKeyPair(GenerateKeyPairArgs),
    /// Sign a pushed policy with a cosign key, stored in the registry as cosign stores it.
    Sign(SignArgs),
    /// Verify a pushed policy's signatures against keys or a verification config (like `kwctl verify`).
    Verify(VerifyArgs),
    /// Generate Artifact Hub packages, cluster manifests and AdmissionReview fixtures.
    Scaffold(ScaffoldArgs),
    /// Print a shell completion script (`kwhost completions bash > /etc/bash_completion.d/kwhost`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

impl Cli {
    /// Runs the command; errors are printed as `Error: <message>` on stderr.
    pub fn execute(self) -> ExitCode {
        let result = match self.command {
            Command::Run(args) => commands::run::execute(args),
            Command::Test(args) => commands::test::execute(args),
            Command::Audit(args) => commands::audit::execute(args),
            Command::Bench(args) => commands::bench::execute(args),
            Command::Annotate(args) => commands::artifact::annotate(args),
            Command::Inspect(args) => commands::artifact::inspect(args),
            Command::Push(args) => commands::artifact::push(args),
            Command::Pull(args) => commands::artifact::pull(args),
            Command::GenerateKeyPair(args) => commands::signing::generate_key_pair(args),
            Command::Sign(args) => commands::signing::sign(args),
            Command::Verify(args) => commands::signing::verify(args),
            Command::Scaffold(args) => commands::artifact::scaffold(args),
            // Here rather than in commands/: it needs the whole command tree, `Cli` itself.
            Command::Completions { shell } => completions(shell),
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

/// Here rather than in `commands/`: it needs the whole command tree, `Cli` itself.
fn completions(shell: clap_complete::Shell) -> Result<ExitCode, CommandError> {
    use std::io::Write as _;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kwhost", &mut script);
    std::io::stdout()
        .write_all(&script)
        .map_err(|e| CommandError::Failed(format!("cannot write to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
