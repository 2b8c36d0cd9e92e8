//! Suites ready to run: a parsed suite file (`kwhost_suite::suite_file`) with its module,
//! limits, settings and host-capability sources resolved.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kwhost_suite::suite_file::{CaseFile, SuiteFile};
pub use kwhost_suite::suite_file::{CaseInputError, Expect, looks_like_suite};
use serde_json::Value;

use super::admission_request::NormalisedRequest;
use super::document::InputError;
use super::settings::{self, Settings};
use crate::capabilities::{AllowList, World};
use crate::evaluation::{CLI_POLICY_ID, PolicyOptions};
use crate::runtime::ExecutionLimits;
use crate::runtime::limits::{checked_memory, checked_timeout};

/// Where host-capability answers come from for one case.
#[derive(Clone)]
pub enum CapabilitySource {
    None,
    World(Arc<World>),
    /// A session file; re-read for every run because replay consumes it.
    Replay(PathBuf),
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

fn load_source(
    base: &Path,
    world: Option<&str>,
    replay: Option<&str>,
) -> Result<CapabilitySource, CaseInputError> {
    match (world, replay) {
        (Some(_), Some(_)) => Err(CaseInputError::unusable(
            "a suite or case cannot set both `world` and `replay`".into(),
        )),
        (Some(world), None) => World::from_file(&base.join(world))
            .map(|w| CapabilitySource::World(Arc::new(w)))
            .map_err(|e| CaseInputError::unusable(e.to_string())),
        (None, Some(replay)) => {
            let path = base.join(replay);
            // Parse once now so a broken session is reported before anything runs.
            crate::capabilities::ReplayBackend::from_file(&path)
                .map_err(|e| CaseInputError::unusable(e.to_string()))?;
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
        let file = SuiteFile::parse(&text, &origin)?;
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
    let request = case.load_request(base, suite_origin)?;
    let origin = case.origin(base, suite_origin);
    let settings = match &case.settings {
        Some(value) => settings::from_value(value.clone(), &origin),
        None => suite_settings.clone(),
    }
    .map_err(|e| CaseInputError::unusable(e.to_string()))?;
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
        .map_err(|e| CaseInputError::unusable(format!("case '{}': {e}", case.name)))?;
    Ok(PreparedCase {
        request,
        settings,
        capabilities,
        allowed_capabilities,
    })
}
