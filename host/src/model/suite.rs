//! Suite files (docs/suites.md): parsing and resolving every path they mention.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::admission_request::{self, NormalisedRequest};
use super::admission_response::PolicyMode;
use super::document::{InputError, read_document};
use super::settings::{self, Settings};
use crate::capabilities::{AllowList, World};
use crate::evaluation::{CLI_POLICY_ID, PolicyOptions};
use crate::runtime::ExecutionLimits;
use crate::runtime::limits::{checked_memory, checked_timeout};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SuiteFile {
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default)]
    world: Option<String>,
    #[serde(default)]
    replay: Option<String>,
    #[serde(default)]
    allow_context_aware: bool,
    #[serde(default)]
    mode: PolicyMode,
    #[serde(default)]
    allowed_to_mutate: Option<bool>,
    #[serde(default)]
    timeout_seconds: Option<f64>,
    #[serde(default, rename = "memoryLimitMiB")]
    memory_limit_mib: Option<u64>,
    #[serde(default, alias = "hostCapabilities")]
    allowed_host_capabilities: Option<Vec<String>>,
    #[serde(default)]
    planted_secrets: Vec<String>,
    cases: Vec<CaseFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CaseFile {
    name: String,
    request: Value,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default)]
    world: Option<String>,
    #[serde(default)]
    replay: Option<String>,
    /// Replaces the suite's allow-list for this case.
    #[serde(default, alias = "hostCapabilities")]
    allowed_host_capabilities: Option<Vec<String>>,
    expect: Expect,
}

/// What a case asserts; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub allowed: Option<bool>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub message_regex: Option<String>,
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
    #[serde(default)]
    pub warnings_contain: Option<Vec<String>>,
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub patch: Option<Value>,
    #[serde(default)]
    pub no_patch: Option<bool>,
    #[serde(default)]
    pub mutated_object: Option<Value>,
    #[serde(default)]
    pub invalid_settings: Option<String>,
    #[serde(default)]
    pub host_error: Option<String>,
}

/// Where host-capability answers come from for one case.
#[derive(Clone)]
pub enum CapabilitySource {
    None,
    World(Arc<World>),
    /// A session file; re-read for every run because replay consumes it.
    Replay(PathBuf),
}

/// A case whose inputs could not be prepared.
#[derive(Debug, Clone)]
pub struct CaseInputError {
    pub message: String,
    /// A file is missing or unreadable: the suite is unusable (exit 2) unless the case
    /// expects a host error.
    pub unusable: bool,
}

pub struct PreparedCase {
    pub request: NormalisedRequest,
    pub settings: Settings,
    pub capabilities: CapabilitySource,
    /// The case's own host-capability allow-list, if it sets one.
    pub allowed_capabilities: Option<AllowList>,
}

pub struct Case {
    pub name: String,
    pub expect: Expect,
    pub prepared: Result<PreparedCase, CaseInputError>,
}

pub struct Suite {
    pub path: PathBuf,
    pub module: PathBuf,
    pub options: PolicyOptions,
    /// Values that must not appear in any output of any case.
    pub planted_secrets: Vec<String>,
    pub cases: Vec<Case>,
}

/// Whether a YAML file is a suite (has top-level `cases`); lets `kwhost test DIR` skip
/// world and session files stored next to suites.
pub fn looks_like_suite(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_yaml::from_str::<Value>(&text).ok())
        .is_some_and(|value| value.get("cases").is_some())
}

fn unusable(message: String) -> CaseInputError {
    CaseInputError {
        message,
        unusable: true,
    }
}

fn load_source(
    base: &Path,
    world: Option<&str>,
    replay: Option<&str>,
) -> Result<CapabilitySource, CaseInputError> {
    match (world, replay) {
        (Some(_), Some(_)) => Err(unusable(
            "a suite or case cannot set both `world` and `replay`".into(),
        )),
        (Some(world), None) => World::from_file(&base.join(world))
            .map(|w| CapabilitySource::World(Arc::new(w)))
            .map_err(|e| unusable(e.to_string())),
        (None, Some(replay)) => {
            let path = base.join(replay);
            // Parse once now so a broken session is reported before anything runs.
            crate::capabilities::ReplayBackend::from_file(&path)
                .map_err(|e| unusable(e.to_string()))?;
            Ok(CapabilitySource::Replay(path))
        }
        (None, None) => Ok(CapabilitySource::None),
    }
}

impl Suite {
    /// Parses a suite; `dist_dir` resolves `policy: NAME` to `<dist_dir>/NAME.wasm`.
    pub fn load(path: &Path, dist_dir: &Path) -> Result<Self, InputError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::new(format!("cannot read suite {origin}: {e}")))?;
        let file: SuiteFile = serde_yaml::from_str(&text)
            .map_err(|e| InputError::new(format!("invalid suite {origin}: {e}")))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let module = match (&file.module, &file.policy) {
            (Some(module), _) => base.join(module),
            (None, Some(policy)) => dist_dir.join(format!("{policy}.wasm")),
            (None, None) => {
                return Err(InputError::new(format!(
                    "suite {origin} names neither `policy` nor `module`"
                )));
            }
        };
        if !module.is_file() {
            return Err(InputError::new(format!(
                "suite {origin}: module {} not found",
                module.display()
            )));
        }
        let defaults = ExecutionLimits::default();
        let limits = ExecutionLimits {
            timeout: match file.timeout_seconds {
                Some(secs) => checked_timeout(secs)
                    .map_err(|e| InputError::new(format!("suite {origin}: timeoutSeconds: {e}")))?,
                None => defaults.timeout,
            },
            memory_bytes: match file.memory_limit_mib {
                Some(mib) => checked_memory(mib)
                    .map_err(|e| InputError::new(format!("suite {origin}: memoryLimitMiB: {e}")))?,
                None => defaults.memory_bytes,
            },
        };
        let allowed_capabilities = match &file.allowed_host_capabilities {
            Some(patterns) => AllowList::parse(patterns)
                .map_err(|e| InputError::new(format!("suite {origin}: {e}")))?,
            None => AllowList::allow_all(),
        };
        let options = PolicyOptions {
            policy_id: file
                .policy
                .clone()
                .unwrap_or_else(|| CLI_POLICY_ID.to_owned()),
            mode: file.mode,
            allowed_to_mutate: file.allowed_to_mutate.unwrap_or(true),
            limits,
            allowed_capabilities,
            allow_context_aware: file.allow_context_aware,
            // Suites scan and show guest output instead of interleaving it.
            capture_guest_output: true,
        };
        let suite_settings =
            settings::from_value(file.settings.clone().unwrap_or(Value::Null), &origin);
        let suite_source = load_source(base, file.world.as_deref(), file.replay.as_deref());
        let cases = file
            .cases
            .into_iter()
            .map(|case| {
                let prepared = prepare_case(&case, base, &origin, &suite_settings, &suite_source);
                Case {
                    name: case.name,
                    expect: case.expect,
                    prepared,
                }
            })
            .collect();
        Ok(Self {
            path: path.to_path_buf(),
            module,
            options,
            planted_secrets: file.planted_secrets,
            cases,
        })
    }
}

fn prepare_case(
    case: &CaseFile,
    base: &Path,
    suite_origin: &str,
    suite_settings: &Result<Settings, InputError>,
    suite_source: &Result<CapabilitySource, CaseInputError>,
) -> Result<PreparedCase, CaseInputError> {
    let (document, origin) = match &case.request {
        Value::String(relative) => {
            let path = base.join(relative);
            let document = read_document(&path).map_err(|e| CaseInputError {
                unusable: !path.is_file(),
                message: e.to_string(),
            })?;
            (document, path.display().to_string())
        }
        inline => (
            inline.clone(),
            format!("{suite_origin} (case '{}')", case.name),
        ),
    };
    let request = admission_request::normalise(document, &origin).map_err(|e| CaseInputError {
        message: e.to_string(),
        unusable: false,
    })?;
    let settings = match &case.settings {
        Some(value) => settings::from_value(value.clone(), &origin),
        None => suite_settings.clone(),
    }
    .map_err(|e| unusable(e.to_string()))?;
    let capabilities = if case.world.is_some() || case.replay.is_some() {
        load_source(base, case.world.as_deref(), case.replay.as_deref())?
    } else {
        suite_source.clone()?
    };
    let allowed_capabilities = case
        .allowed_host_capabilities
        .as_ref()
        .map(|patterns| AllowList::parse(patterns))
        .transpose()
        .map_err(|e| unusable(format!("case '{}': {e}", case.name)))?;
    Ok(PreparedCase {
        request,
        settings,
        capabilities,
        allowed_capabilities,
    })
}
