//! The Kubewarden policy metadata model (docs/protocol.md §5.1), the only one of the
//! workspace: `metadata.yml` for annotate, inspect and Artifact Hub, and the embedded
//! `io.kubewarden.metadata` section the host reads.
//!
//! Field names, defaults and validation follow Kubewarden's `policy-evaluator`
//! (`crates/policy-evaluator/src/policy_metadata.rs`): camelCase keys, `rules` and
//! `mutating` required, `backgroundAudit` defaulting to `true`, `executionMode` to
//! `kubewarden-wapc`, `policyType` to `kubernetes`, `contextAwareResources` to `[]`.
//! Unknown keys are ignored (legacy `contextAware: false` in old files still loads).
//!
//! Two ways in:
//! - strict, for `metadata.yml` and `inspect`: [`Metadata::load`], [`Metadata::from_yaml_str`],
//!   [`Metadata::from_json_slice`] require `rules` and `mutating`; [`Metadata::validate`] then
//!   checks what kwctl checks;
//! - lenient, for the host: [`Metadata::from_section`] defaults every missing field, since a
//!   module's section only has to say what the host needs (context-aware resources).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

mod rule_match;
mod validation;

pub use crate::host_capabilities::CAPABILITY_PATHS;
pub use rule_match::RequestedResource;
pub use validation::{RuleError, ValidationError, validate_host_capability};

/// Annotation keys (Kubewarden's `policy-evaluator`, `crates/policy-evaluator/src/constants.rs`).
pub mod annotations {
    pub const TITLE: &str = "io.kubewarden.policy.title";
    pub const VERSION: &str = "io.kubewarden.policy.version";
    pub const DESCRIPTION: &str = "io.kubewarden.policy.description";
    pub const AUTHOR: &str = "io.kubewarden.policy.author";
    pub const URL: &str = "io.kubewarden.policy.url";
    pub const OCI_URL: &str = "io.kubewarden.policy.ociUrl";
    pub const SOURCE: &str = "io.kubewarden.policy.source";
    pub const LICENSE: &str = "io.kubewarden.policy.license";
    pub const USAGE: &str = "io.kubewarden.policy.usage";
    pub const SEVERITY: &str = "io.kubewarden.policy.severity";
    pub const CATEGORY: &str = "io.kubewarden.policy.category";
    pub const ARTIFACTHUB_DISPLAY_NAME: &str = "io.artifacthub.displayName";
    pub const ARTIFACTHUB_RESOURCES: &str = "io.artifacthub.resources";
    pub const ARTIFACTHUB_KEYWORDS: &str = "io.artifacthub.keywords";
    pub const HIDDEN_UI: &str = "io.kubewarden.hidden-ui";
    pub const GITHUB_RELEASE_TAG: &str = "com.github.release.tag";
    /// Added by `annotate`; kwctl writes its version here, kwhost writes `kwhost <version>`.
    pub const KWCTL: &str = "io.kubewarden.kwctl";
}

/// Admission operation of a rule.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    #[serde(rename = "CREATE")]
    Create,
    #[serde(rename = "UPDATE")]
    Update,
    #[serde(rename = "DELETE")]
    Delete,
    #[serde(rename = "CONNECT")]
    Connect,
    #[serde(rename = "*")]
    All,
}

/// One admission rule (`RuleWithOperations`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub api_versions: Vec<String>,
    pub resources: Vec<String>,
    pub operations: Vec<Operation>,
}

/// A Kubernetes resource type the policy may read at evaluation time.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct ContextAwareResource {
    pub api_version: String,
    pub kind: String,
}

/// waPC protocol version reported by the module's `protocol_version` operation.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolVersion {
    #[serde(rename = "v1")]
    V1,
    /// Also what any other text reads as.
    #[default]
    #[serde(other)]
    Unknown,
}

impl ProtocolVersion {
    /// Parses the payload returned by the guest's `protocol_version` call
    /// (a JSON string such as `"v1"`). Anything else is `Unknown`.
    pub fn from_guest_response(payload: &[u8]) -> ProtocolVersion {
        serde_json::from_slice::<ProtocolVersion>(payload).unwrap_or(ProtocolVersion::Unknown)
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtocolVersion::V1 => "v1",
            ProtocolVersion::Unknown => "Unknown",
        })
    }
}

/// How the policy is executed.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ExecutionMode {
    #[default]
    KubewardenWapc,
    Opa,
    Gatekeeper,
    Wasi,
}

impl fmt::Display for ExecutionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExecutionMode::KubewardenWapc => "kubewarden-wapc",
            ExecutionMode::Opa => "opa",
            ExecutionMode::Gatekeeper => "gatekeeper",
            ExecutionMode::Wasi => "wasi",
        })
    }
}

/// What kind of requests the policy evaluates.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum PolicyType {
    #[default]
    Kubernetes,
    Raw,
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyType::Kubernetes => "kubernetes",
            PolicyType::Raw => "raw",
        })
    }
}

/// Policy metadata, as written in `metadata.yml` and embedded (compact JSON)
/// in the `io.kubewarden.metadata` custom section.
///
/// Every field has a default so that the lenient reading can fill it; the strict
/// readings check for `rules` and `mutating` first.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Metadata {
    /// Set by `annotate`, never by authors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<ProtocolVersion>,
    /// Required in strict readings.
    pub rules: Vec<Rule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Required in strict readings: authors must say it, kwctl has no default either.
    pub mutating: bool,
    pub background_audit: bool,
    pub execution_mode: ExecutionMode,
    pub policy_type: PolicyType,
    pub context_aware_resources: BTreeSet<ContextAwareResource>,
    /// Self-reported host capability patterns (docs/protocol.md §3.6), top level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_capabilities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_kubewarden_version: Option<String>,
}

impl Default for Metadata {
    /// What a lenient reading assumes for missing fields.
    fn default() -> Self {
        Self {
            protocol_version: None,
            rules: Vec::new(),
            annotations: None,
            mutating: false,
            background_audit: true,
            execution_mode: ExecutionMode::default(),
            policy_type: PolicyType::default(),
            context_aware_resources: BTreeSet::new(),
            host_capabilities: None,
            minimum_kubewarden_version: None,
        }
    }
}

/// The fields a strict reading requires; serde names the first one missing.
#[derive(Deserialize)]
struct RequiredFields {
    #[allow(dead_code)]
    rules: IgnoredAny,
    #[allow(dead_code)]
    mutating: IgnoredAny,
}

/// Why metadata cannot be read or used; every message names its origin.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("cannot read {path}: {reason}")]
    Read {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("invalid metadata file {origin}: cannot parse policy metadata: {reason}")]
    Yaml {
        origin: String,
        reason: serde_yaml::Error,
    },
    #[error("{origin}: cannot parse policy metadata: {reason}")]
    Json {
        origin: String,
        reason: serde_json::Error,
    },
    #[error("invalid metadata file {origin}: {reason}")]
    Invalid {
        origin: String,
        reason: ValidationError,
    },
}

impl Metadata {
    /// Parses `metadata.yml` content (YAML; JSON is YAML too); `rules` and `mutating`
    /// are required. Does not validate. `origin` names the text in errors.
    pub fn from_yaml_str_in(yaml: &str, origin: &str) -> Result<Metadata, MetadataError> {
        let yaml_error = |reason| MetadataError::Yaml {
            origin: origin.to_owned(),
            reason,
        };
        serde_yaml::from_str::<RequiredFields>(yaml).map_err(yaml_error)?;
        serde_yaml::from_str(yaml).map_err(yaml_error)
    }

    /// [`Metadata::from_yaml_str_in`] for text that has no better name than "metadata.yml".
    pub fn from_yaml_str(yaml: &str) -> Result<Metadata, MetadataError> {
        Self::from_yaml_str_in(yaml, "metadata.yml")
    }

    /// Strict reading of embedded JSON (`inspect`, like kwctl's `Metadata::from_contents`).
    pub fn from_json_slice(json: &[u8], origin: &str) -> Result<Metadata, MetadataError> {
        let json_error = |reason| MetadataError::Json {
            origin: origin.to_owned(),
            reason,
        };
        serde_json::from_slice::<RequiredFields>(json).map_err(json_error)?;
        serde_json::from_slice(json).map_err(json_error)
    }

    /// Lenient reading of a module's `io.kubewarden.metadata` section, as the host does:
    /// unknown keys are ignored and missing fields take their defaults.
    pub fn from_section(bytes: &[u8]) -> Result<Metadata, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Reads and parses a `metadata.yml` file, then runs [`Metadata::validate`].
    pub fn load(path: impl AsRef<Path>) -> Result<Metadata, MetadataError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|reason| MetadataError::Read {
            path: path.to_path_buf(),
            reason,
        })?;
        let origin = path.display().to_string();
        let metadata = Metadata::from_yaml_str_in(&text, &origin)?;
        metadata
            .validate()
            .map_err(|reason| MetadataError::Invalid { origin, reason })?;
        Ok(metadata)
    }

    /// Annotation value, if present.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .map(String::as_str)
    }

    /// Author-side validation, as kwctl does before annotating or scaffolding:
    /// every rule list non-empty, `*` alone in its list, Kubernetes'
    /// resource/subresource wildcard rules, non-empty context-aware resource
    /// fields, known host-capability patterns, semver minimum version.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validation::validate(self)
    }

    /// Validation of an annotated module's metadata: [`Metadata::validate`]
    /// plus, for `kubewarden-wapc` policies, `protocolVersion` must be `v1`.
    pub fn validate_annotated(&self) -> Result<(), ValidationError> {
        self.validate()?;
        if self.execution_mode == ExecutionMode::KubewardenWapc
            && self.protocol_version != Some(ProtocolVersion::V1)
        {
            return Err(ValidationError::ProtocolVersion);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE", "UPDATE"]
mutating: false
contextAware: false
contextAwareResources:
  - apiVersion: v1
    kind: Namespace
hostCapabilities: ["oci/*"]
annotations:
  io.kubewarden.policy.title: demo
"#;

    #[test]
    fn defaults_and_unknown_keys() {
        let m = Metadata::from_yaml_str(YAML).unwrap();
        assert!(m.background_audit);
        assert_eq!(m.execution_mode, ExecutionMode::KubewardenWapc);
        assert_eq!(m.policy_type, PolicyType::Kubernetes);
        assert_eq!(m.protocol_version, None);
        assert_eq!(m.context_aware_resources.len(), 1);
        m.validate().unwrap();
        assert!(m.validate_annotated().is_err());
    }

    #[test]
    fn mutating_is_required() {
        let err = Metadata::from_yaml_str("rules: []\n").unwrap_err();
        assert!(format!("{err:#}").contains("mutating"), "{err:#}");
    }

    #[test]
    fn json_round_trip_is_camel_case() {
        let mut m = Metadata::from_yaml_str(YAML).unwrap();
        m.protocol_version = Some(ProtocolVersion::V1);
        let json = serde_json::to_string(&m).unwrap();
        for key in [
            "\"protocolVersion\":\"v1\"",
            "\"apiGroups\"",
            "\"backgroundAudit\":true",
            "\"executionMode\":\"kubewarden-wapc\"",
            "\"policyType\":\"kubernetes\"",
            "\"contextAwareResources\":[{\"apiVersion\":\"v1\",\"kind\":\"Namespace\"}]",
            "\"hostCapabilities\":[\"oci/*\"]",
        ] {
            assert!(json.contains(key), "{key} missing in {json}");
        }
        let back: Metadata = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let yaml = serde_yaml::to_string(&m).unwrap();
        assert_eq!(Metadata::from_yaml_str(&yaml).unwrap(), m);
    }

    #[test]
    fn lenient_section_defaults_missing_fields() {
        let m = Metadata::from_section(
            br#"{"protocolVersion":"v1","unknown":1,"contextAwareResources":[{"apiVersion":"v1","kind":"Namespace"}]}"#,
        )
        .unwrap();
        assert_eq!(m.protocol_version, Some(ProtocolVersion::V1));
        assert!(m.rules.is_empty() && !m.mutating && m.background_audit);
        assert_eq!(m.context_aware_resources.len(), 1);
        assert_eq!(Metadata::from_section(b"{}").unwrap(), Metadata::default());
        // Like the host's old reader, a JSON array reads as the (all-default) struct; other
        // non-objects and broken JSON do not.
        assert!(Metadata::from_section(b"\"v1\"").is_err());
        assert!(Metadata::from_section(b"{").is_err());
        let strict = Metadata::from_json_slice(b"{\"rules\":[]}", "module.wasm").unwrap_err();
        assert!(
            strict
                .to_string()
                .starts_with("module.wasm: cannot parse policy metadata: missing field `mutating`"),
            "{strict}"
        );
    }

    #[test]
    fn protocol_version_from_guest() {
        assert_eq!(
            ProtocolVersion::from_guest_response(b"\"v1\""),
            ProtocolVersion::V1
        );
        assert_eq!(
            ProtocolVersion::from_guest_response(b"garbage"),
            ProtocolVersion::Unknown
        );
    }
}
