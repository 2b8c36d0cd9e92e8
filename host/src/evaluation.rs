//! One kwctl-style evaluation: `validate_settings`, then `validate` on the same fresh
//! instance, then the AdmissionResponse mapping and post-processing.

use std::path::Path;
use std::sync::Arc;

use kwhost_artifact::Metadata;
use kwhost_artifact::metadata::ContextAwareResource;
use serde_json::json;

use crate::capabilities::{AllowList, CapabilityBackend, Dispatcher, NoBackend};
use crate::model::admission_request::NormalisedRequest;
use crate::model::admission_response::{AdmissionResponse, PolicyMode, post_process};
use crate::model::document::InputError;
use crate::model::settings::{Settings, SettingsValidationResponse};
use crate::runtime::limits::EVALUATION_BOUND_FACTOR;
use crate::runtime::{
    CapturedOutput, ExecutionLimits, GuestCallError, GuestStdio, PolicyModule, Runtime,
};

/// kwctl's id for a policy given on the command line.
pub const CLI_POLICY_ID: &str = "policy-from-cli";

/// A loaded policy and its embedded metadata.
#[derive(Clone)]
pub struct Policy {
    pub module: PolicyModule,
    pub metadata: Option<Metadata>,
}

impl Policy {
    /// Loads a module; every failure is unusable input (exit 2).
    pub fn load(runtime: &Runtime, path: &Path) -> Result<Self, InputError> {
        let module = runtime
            .load_module(path)
            .map_err(|e| InputError::new(e.to_string()))?;
        Self::from_module(module)
    }

    /// A loaded module with its embedded metadata read.
    pub fn from_module(module: PolicyModule) -> Result<Self, InputError> {
        let metadata = module
            .metadata_section()
            .map(Metadata::from_section)
            .transpose()
            .map_err(|e| {
                InputError::new(format!(
                    "{}: invalid io.kubewarden.metadata section: {e}",
                    module.path().display()
                ))
            })?;
        Ok(Self { module, metadata })
    }

    /// The context-aware resources granted: the metadata's, with `--allow-context-aware`.
    pub fn granted_resources(&self, allow_context_aware: bool) -> Vec<ContextAwareResource> {
        match (&self.metadata, allow_context_aware) {
            (Some(metadata), true) => metadata.context_aware_resources.iter().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

/// How the policy is deployed: kwctl's CLI defaults unless a suite says otherwise.
#[derive(Debug, Clone)]
pub struct PolicyOptions {
    pub policy_id: String,
    pub mode: PolicyMode,
    pub allowed_to_mutate: bool,
    pub limits: ExecutionLimits,
    pub allowed_capabilities: AllowList,
    /// Grant the metadata's contextAwareResources (`--allow-context-aware`).
    pub allow_context_aware: bool,
    /// Return guest stdout/stderr and `tracing/log` lines (capped) and the host's diagnostics
    /// in [`Evaluation`] instead of printing them on stderr. Either way a guest never writes
    /// to the host's stdout.
    pub capture_guest_output: bool,
}

impl Default for PolicyOptions {
    fn default() -> Self {
        Self {
            policy_id: CLI_POLICY_ID.to_owned(),
            mode: PolicyMode::Protect,
            allowed_to_mutate: true,
            limits: ExecutionLimits::default(),
            allowed_capabilities: AllowList::allow_all(),
            allow_context_aware: false,
            capture_guest_output: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `validate_settings` said no: the message after `Provided settings are not valid: `.
    InvalidSettings(String),
    Response(AdmissionResponse),
}

/// `_start`/`wapc_init` failed: kwctl cannot build its evaluator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy initialisation failed: {0}")]
pub struct InitError(pub String);

/// `Error invoking settings validation callback: <Debug of the wapc error>`.
fn settings_call_failure(error: &GuestCallError) -> String {
    format!(
        "Error invoking settings validation callback: GuestCallFailure({:?})",
        error.message
    )
}

/// An evaluation's result plus what the guest printed or logged and the host's diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub outcome: Result<Outcome, InitError>,
    /// Guest stdout/stderr, `__console_log` and `tracing/log` lines in the order written, at
    /// most `CapturedOutput::LIMIT` bytes, then a truncation note when more was written.
    pub guest_output: String,
    /// What the host knows about a failure and the response does not say (the response is
    /// the policy-server's): the memory or table limit the guest hit, the deadline that
    /// interrupted it. Each line starts with `kwhost: `.
    pub diagnostics: Vec<String>,
}

/// One evaluation; the guest's output and the host's diagnostics go to stderr unless
/// `options.capture_guest_output` is set (then they are dropped: use
/// [`evaluate_capturing`] to read them).
pub fn evaluate(
    policy: &Policy,
    options: &PolicyOptions,
    backend: Arc<dyn CapabilityBackend>,
    settings: &Settings,
    request: &NormalisedRequest,
) -> Result<Outcome, InitError> {
    let evaluation = evaluate_capturing(policy, options, backend, settings, request);
    if !options.capture_guest_output {
        eprint!("{}", evaluation.guest_output);
        for line in &evaluation.diagnostics {
            eprintln!("{line}");
        }
    }
    evaluation.outcome
}

pub fn evaluate_capturing(
    policy: &Policy,
    options: &PolicyOptions,
    backend: Arc<dyn CapabilityBackend>,
    settings: &Settings,
    request: &NormalisedRequest,
) -> Evaluation {
    let granted = policy.granted_resources(options.allow_context_aware);
    let output = CapturedOutput::new();
    let dispatcher = Dispatcher::new(options.allowed_capabilities.clone(), granted, backend)
        .with_log_capture(output.clone());
    let stdio = GuestStdio::Capture(output.clone());
    let mut diagnostics = Vec::new();
    let outcome = run_guest(
        policy,
        options,
        &stdio,
        Arc::new(dispatcher),
        (settings, request),
        &mut diagnostics,
    );
    Evaluation {
        outcome,
        guest_output: output.contents(),
        diagnostics,
    }
}

/// The host's diagnostics of a failed guest call (see [`Evaluation::diagnostics`]).
fn diagnose(phase: &str, error: &GuestCallError, limits: &ExecutionLimits) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(hit) = error.limit_hit {
        lines.push(format!("kwhost: {phase} failed: {hit}"));
    }
    if error.interrupted {
        lines.push(format!(
            "kwhost: {phase} interrupted: each guest call may run {:?}, the whole evaluation {:?}",
            limits.timeout,
            limits.timeout.saturating_mul(EVALUATION_BOUND_FACTOR)
        ));
    }
    lines
}

fn run_guest(
    policy: &Policy,
    options: &PolicyOptions,
    stdio: &GuestStdio,
    dispatcher: Arc<Dispatcher>,
    (settings, request): (&Settings, &NormalisedRequest),
    diagnostics: &mut Vec<String>,
) -> Result<Outcome, InitError> {
    let limits = &options.limits;
    let mut instance = policy
        .module
        .instantiate(options.limits, stdio, dispatcher)
        .map_err(|e| {
            diagnostics.extend(diagnose("initialisation", &e, limits));
            InitError(e.message)
        })?;

    let settings_json = serde_json::to_vec(settings).expect("settings always serialise");
    let verdict =
        match instance.call("validate_settings", &settings_json) {
            Ok(output) => serde_json::from_slice::<SettingsValidationResponse>(&output)
                .unwrap_or_else(|e| SettingsValidationResponse {
                    valid: false,
                    message: Some(format!(
                        "cannot deserialize settings validation response: {e}"
                    )),
                }),
            Err(error) => {
                diagnostics.extend(diagnose("validate_settings", &error, limits));
                SettingsValidationResponse {
                    valid: false,
                    message: Some(settings_call_failure(&error)),
                }
            }
        };
    if !verdict.valid {
        return Ok(Outcome::InvalidSettings(
            verdict.message.unwrap_or_default(),
        ));
    }

    let payload = json!({"request": request.value, "settings": settings});
    let payload = serde_json::to_vec(&payload).expect("a JSON value always serialises");
    let result = instance.call("validate", &payload);
    if let Err(error) = &result {
        diagnostics.extend(diagnose("validate", error, limits));
    }
    let response = match result {
        Ok(output) => {
            AdmissionResponse::from_guest_output(&request.uid, request.object.as_ref(), &output)
        }
        Err(error) if error.interrupted => AdmissionResponse::timeout(&request.uid),
        Err(error) => AdmissionResponse::internal_error(
            &request.uid,
            &format!("Guest call failure: {}", error.message),
        ),
    };
    Ok(Outcome::Response(post_process(
        response,
        &options.policy_id,
        options.mode,
        options.allowed_to_mutate,
    )))
}

/// Calls the guest's `protocol_version` on a fresh instance, as `kwctl annotate` does to fill
/// `protocolVersion`. Nothing answers host calls: the operation must not need any.
pub fn protocol_version(policy: &Policy) -> Result<Vec<u8>, InitError> {
    let dispatcher = Dispatcher::new(AllowList::default(), Vec::new(), Arc::new(NoBackend));
    let mut instance = policy
        .module
        .instantiate(
            ExecutionLimits::default(),
            &GuestStdio::Capture(CapturedOutput::new()),
            Arc::new(dispatcher),
        )
        .map_err(|e| InitError(e.message))?;
    instance
        .call("protocol_version", &[])
        .map_err(|e| InitError(e.message))
}
