//! `kwhost audit`: the policies of a set judge every object of a cluster dump, offline
//! (`crate::audit`); the results as a table, JSON, JUnit, PolicyReports or HTML; the exit status
//! of a linter.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kwhost_suite::dump::Dump;

use super::{AllocationChoice, CommandError, new_runtime_with};
use crate::audit::report::{self, Context, Format};
use crate::audit::{self, ModuleDirs, Verdict, policy_set};
use crate::capabilities::World;
use crate::model::document::InputError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Exit 1 when a policy in protect mode would deny something.
    Deny,
    /// Exit 1 when a policy would deny, warn, or fail in monitor mode.
    Warn,
    /// Exit 0 whatever the verdicts.
    Never,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The cluster's objects: files or folders of JSON/YAML (`kubectl get -A -o json` Lists,
    /// multi-document YAML), `-` for stdin.
    #[arg(required = true)]
    pub resources: Vec<PathBuf>,
    /// The policies, repeatable: a folder of annotated modules with their settings beside them
    /// (`name.wasm`, `name.yaml`), a policy-server `policies.yml`, or ClusterAdmissionPolicy /
    /// AdmissionPolicy manifests.
    #[arg(short = 'p', long, required = true)]
    pub policies: Vec<PathBuf>,
    /// Where `registry://` modules of a policy set are found as `<name>.wasm` or in kwctl's
    /// store layout (repeatable); then the store of `kwhost pull`, then kwctl's.
    #[arg(long)]
    pub module_dir: Vec<PathBuf>,
    /// A world file (docs/suites.md) for what the dump cannot answer: image digests,
    /// signatures, DNS. Its Kubernetes objects are added to the dump's.
    #[arg(long)]
    pub world: Option<PathBuf>,
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// When the exit status is 1.
    #[arg(long, value_enum, default_value_t = FailOn::Deny)]
    pub fail_on: FailOn,
    /// Objects judged at once (default: one per core).
    #[arg(short = 'j', long)]
    pub jobs: Option<NonZeroUsize>,
}

/// `SOURCE_DATE_EPOCH` (reproducible reports), else now.
fn generated_at() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
}

fn progress_bar(objects: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(objects as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} judging {pos}/{len} objects [{bar:40}] {per_sec}, {eta} left",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

pub fn execute(args: AuditArgs) -> Result<ExitCode, CommandError> {
    let dump = Dump::read(&args.resources)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    let runtime = new_runtime_with(AllocationChoice::Pooling.for_workers(jobs.get()))?;
    let policies = policy_set::load(&args.policies, &ModuleDirs::new(&args.module_dir), &runtime)?;
    let world = match &args.world {
        Some(path) => World::from_file(path).map_err(|e| InputError::new(e.to_string()))?,
        None => World::default(),
    };
    let bar = progress_bar(dump.objects.len());
    let results = audit::run(&dump, &policies, world, jobs, &|| bar.inc(1));
    bar.finish_and_clear();
    let context = Context {
        policies: &policies,
        generated_at: generated_at(),
        objects: dump.objects.len(),
    };
    let text = report::render(args.format, &results, &context);
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| InputError::new(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    let any = |wanted: &dyn Fn(&audit::AuditResult) -> bool| results.iter().any(wanted);
    let failing = match args.fail_on {
        FailOn::Deny => any(&|r| r.verdict == Verdict::Fail && !r.monitor),
        FailOn::Warn => any(&|r| matches!(r.verdict, Verdict::Fail | Verdict::Warn)),
        FailOn::Never => false,
    };
    Ok(if failing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
