//! `kwhost run`: one evaluation, AdmissionResponse on stdout (kwctl run).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use super::{CommandError, new_runtime};
use crate::capabilities::{
    AllowList, CapabilityBackend, NoBackend, RecordingBackend, ReplayBackend, World,
};
use crate::evaluation::{Outcome, Policy, PolicyOptions, evaluate};
use crate::model::admission_response::PolicyMode;
use crate::model::document::{InputError, parse_json_or_yaml, read_document};
use crate::model::{admission_request, settings};
use crate::runtime::ExecutionLimits;
use crate::runtime::limits::{checked_memory, checked_timeout};

/// The request document (`-`: stdin), as `kwhost run` and `kwhost bench` read it.
pub(super) fn read_request(path: &Path) -> Result<serde_json::Value, InputError> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| InputError::new(format!("cannot read the request from stdin: {e}")))?;
        return parse_json_or_yaml(&text, "stdin");
    }
    read_document(path)
}

/// `--settings-path` or `--settings-json`; no settings is `{}`.
pub(super) fn read_settings(
    path: Option<&Path>,
    json: Option<&str>,
) -> Result<settings::Settings, InputError> {
    match (path, json) {
        (Some(path), _) => settings::from_file(path),
        (None, Some(json)) => settings::from_text(json, "--settings-json"),
        (None, None) => Ok(serde_json::Map::new()),
    }
}

/// Where host-capability answers come from: a recorded session, a world file, or nothing.
pub(super) fn backend(
    replay: Option<&Path>,
    world: Option<&Path>,
) -> Result<Arc<dyn CapabilityBackend>, InputError> {
    let backend: Arc<dyn CapabilityBackend> = match (replay, world) {
        (Some(session), _) => {
            Arc::new(ReplayBackend::from_file(session).map_err(|e| InputError::new(e.to_string()))?)
        }
        (None, Some(world)) => {
            Arc::new(World::from_file(world).map_err(|e| InputError::new(e.to_string()))?)
        }
        (None, None) => Arc::new(NoBackend),
    };
    Ok(backend)
}

fn options(args: &RunArgs) -> Result<PolicyOptions, InputError> {
    let timeout =
        checked_timeout(args.timeout).map_err(|e| InputError::new(format!("--timeout: {e}")))?;
    let memory_bytes = checked_memory(args.memory_limit)
        .map_err(|e| InputError::new(format!("--memory-limit: {e}")))?;
    Ok(PolicyOptions {
        mode: args.mode,
        limits: ExecutionLimits {
            timeout,
            memory_bytes,
        },
        // `--allowed-host-capabilities ''` (or no value) denies everything, as an empty list.
        allowed_capabilities: AllowList::parse(
            &args
                .allowed_host_capabilities
                .iter()
                .filter(|p| !p.trim().is_empty())
                .collect::<Vec<_>>(),
        )
        .map_err(|e| InputError::new(e.to_string()))?,
        allow_context_aware: args.allow_context_aware,
        ..PolicyOptions::default()
    })
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The policy module: a path (`file://` prefix accepted) or a `registry://` reference,
    /// pulled (and verified first, with the verification flags) into the local store.
    pub module: String,
    #[command(flatten)]
    pub verification: super::signing::VerificationArgs,
    /// Plain HTTP for a local registry.
    #[arg(long)]
    pub insecure: bool,
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
    /// Write every host-capability exchange of the run, as kwctl records them, so that
    /// `--replay-host-capabilities-interactions FILE` (kwhost's or kwctl's) answers the same.
    #[arg(long, value_name = "FILE")]
    pub record_host_capabilities_interactions: Option<PathBuf>,
    /// Grant the contextAwareResources of the module's metadata.
    #[arg(long)]
    pub allow_context_aware: bool,
    /// Host capability patterns (`*`, `oci/*`, `kubernetes/can_i`, ...); none = deny all.
    #[arg(long, num_args = 0.., value_delimiter = ',', default_value = "*")]
    pub allowed_host_capabilities: Vec<String>,
    #[arg(long, value_enum, default_value_t = PolicyMode::Protect)]
    pub mode: PolicyMode,
    /// Deadline of each guest call, in seconds (above 0, at most 300); the whole evaluation
    /// ends at twice this.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub timeout: f64,
    /// Memory cap per instance, in MiB (1 to 4096).
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub memory_limit: u64,
}

/// A `registry://` module pulled into the store (verified first and pulled by the verified
/// digest, when the flags ask for it); a path as it is.
fn module_path(args: &RunArgs) -> Result<PathBuf, CommandError> {
    let config = args.verification.config()?;
    if !args.module.starts_with("registry://") {
        if config.is_some() {
            return Err(CommandError::Unusable(format!(
                "{}: only registry:// modules carry signatures to verify",
                args.module
            )));
        }
        return Ok(PathBuf::from(
            args.module.strip_prefix("file://").unwrap_or(&args.module),
        ));
    }
    let bytes = super::signing::fetch(&args.module, config.as_ref(), args.insecure)?;
    let path = super::store_path(&args.module)?;
    std::fs::write(&path, &bytes)
        .map_err(|e| InputError::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

pub fn execute(args: RunArgs) -> Result<ExitCode, CommandError> {
    let module_path = module_path(&args)?;
    // Validate every input before compiling: compilation is the slow part.
    let request_origin = args.request_path.display().to_string();
    let request = admission_request::normalise(read_request(&args.request_path)?, &request_origin)?;
    let settings = read_settings(args.settings_path.as_deref(), args.settings_json.as_deref())?;
    let backend = backend(
        args.replay_host_capabilities_interactions.as_deref(),
        args.world.as_deref(),
    )?;
    let options = options(&args)?;

    let recorder = args
        .record_host_capabilities_interactions
        .as_ref()
        .map(|_| Arc::new(RecordingBackend::new(backend.clone())));
    let backend = match &recorder {
        Some(recorder) => recorder.clone() as Arc<dyn CapabilityBackend>,
        None => backend,
    };

    let runtime = new_runtime()?;
    let policy = Policy::load(&runtime, &module_path)?;
    let evaluation = evaluate(&policy, &options, backend, &settings, &request);
    if let (Some(recorder), Some(path)) = (&recorder, &args.record_host_capabilities_interactions) {
        let session = recorder
            .session_yaml()
            .map_err(|e| CommandError::Failed(format!("cannot record the session: {e}")))?;
        std::fs::write(path, session)
            .map_err(|e| CommandError::Failed(format!("cannot write {}: {e}", path.display())))?;
    }
    match evaluation {
        Err(error) => Err(CommandError::Failed(error.to_string())),
        Ok(Outcome::InvalidSettings(message)) => Err(CommandError::Failed(format!(
            "Provided settings are not valid: {message}"
        ))),
        Ok(Outcome::Response(response)) => {
            println!("{}", response.to_json());
            Ok(ExitCode::SUCCESS)
        }
    }
}
