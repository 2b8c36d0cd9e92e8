//! The Kubewarden policy metadata model (`metadata.yml`, contract §5.1).
//!
//! Field names, defaults and validation follow kwctl's `policy_metadata.rs`:
//! camelCase keys, `mutating` required (no serde default), `backgroundAudit`
//! defaulting to `true`, `executionMode` to `kubewarden-wapc`, `policyType` to
//! `kubernetes`, `contextAwareResources` to `[]`. Unknown keys are ignored
//! (legacy `contextAware: false` in old files still loads).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

/// Annotation keys (KC `policy-evaluator/src/constants.rs`).
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
    #[default]
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

fn default_true() -> bool {
    true
}

/// Policy metadata, as written in `metadata.yml` and embedded (compact JSON)
/// in the `io.kubewarden.metadata` custom section.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Set by `annotate`, never by authors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<ProtocolVersion>,
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Required: there is deliberately no serde default.
    pub mutating: bool,
    #[serde(default = "default_true")]
    pub background_audit: bool,
    #[serde(default)]
    pub execution_mode: ExecutionMode,
    #[serde(default)]
    pub policy_type: PolicyType,
    #[serde(default)]
    pub context_aware_resources: BTreeSet<ContextAwareResource>,
    /// Self-reported host capability patterns (§3.6), top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_kubewarden_version: Option<String>,
}

impl Metadata {
    /// Parses `metadata.yml` content (YAML; JSON is YAML too). Does not validate.
    pub fn from_yaml_str(yaml: &str) -> Result<Metadata> {
        serde_yaml::from_str(yaml).context("cannot parse policy metadata")
    }

    /// Reads and parses a `metadata.yml` file, then runs [`Metadata::validate`].
    pub fn load(path: impl AsRef<Path>) -> Result<Metadata> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let metadata = Metadata::from_yaml_str(&text)
            .with_context(|| format!("invalid metadata file {}", path.display()))?;
        metadata
            .validate()
            .with_context(|| format!("invalid metadata file {}", path.display()))?;
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
    pub fn validate(&self) -> Result<()> {
        for (i, rule) in self.rules.iter().enumerate() {
            validate_rule(rule).with_context(|| format!("rules[{i}] is invalid"))?;
        }
        for r in &self.context_aware_resources {
            if r.api_version.is_empty() || r.kind.is_empty() {
                bail!("contextAwareResources: apiVersion and kind must not be empty");
            }
        }
        if let Some(caps) = &self.host_capabilities {
            for c in caps {
                validate_host_capability(c)?;
            }
        }
        if let Some(v) = &self.minimum_kubewarden_version {
            semver::Version::parse(v)
                .map_err(|e| anyhow!("minimumKubewardenVersion {v:?} is not semver: {e}"))?;
        }
        Ok(())
    }

    /// Validation of an annotated module's metadata: [`Metadata::validate`]
    /// plus, for `kubewarden-wapc` policies, `protocolVersion` must be `v1`.
    pub fn validate_annotated(&self) -> Result<()> {
        self.validate()?;
        if self.execution_mode == ExecutionMode::KubewardenWapc
            && self.protocol_version != Some(ProtocolVersion::V1)
        {
            bail!(
                "Must specify a valid protocol version: kubewarden-wapc policies need protocolVersion v1"
            );
        }
        Ok(())
    }
}

fn validate_asterisk(field: &str, items: &[String]) -> Result<()> {
    if items.is_empty() {
        bail!("{field} must contain at least one element");
    }
    if items.len() > 1 && items.iter().any(|s| s == "*") {
        bail!("{field}: no other elements can be defined when '*' is used");
    }
    Ok(())
}

fn validate_rule(rule: &Rule) -> Result<()> {
    validate_asterisk("apiGroups", &rule.api_groups)?;
    validate_asterisk("apiVersions", &rule.api_versions)?;
    if rule.resources.is_empty() {
        bail!("resources must contain at least one element");
    }
    validate_resources(&rule.resources)?;
    if rule.operations.is_empty() {
        bail!("operations must contain at least one element");
    }
    if rule.operations.len() > 1 && rule.operations.contains(&Operation::All) {
        bail!("operations: no other elements can be defined when '*' is used");
    }
    let unique: HashSet<_> = rule.operations.iter().collect();
    if unique.len() != rule.operations.len() {
        bail!("operations must not contain duplicates");
    }
    Ok(())
}

/// Kubernetes' admissionregistration resource checks: `*/*` alone, `*` only
/// beside `x/y` entries, `x/*` excludes `x/y`, `*/y` excludes `x/y`.
fn validate_resources(resources: &[String]) -> Result<()> {
    let mut wildcard_sub_of: HashSet<&str> = HashSet::new(); // x/*
    let mut wildcard_res_for: HashSet<&str> = HashSet::new(); // */y
    let mut has_all_all = false;
    let mut has_all = false;
    let mut has_plain = false;
    for res in resources {
        if res.is_empty() {
            bail!("resources: empty resource is not allowed");
        }
        match res.as_str() {
            "*/*" => has_all_all = true,
            "*" => has_all = true,
            _ => {}
        }
        let Some((r, sub)) = res.split_once('/') else {
            if res != "*" {
                has_plain = true;
            }
            continue;
        };
        if wildcard_sub_of.contains(r) {
            bail!("resources: if '{r}/*' is present, must not specify {res}");
        }
        if wildcard_res_for.contains(sub) {
            bail!("resources: if '*/{sub}' is present, must not specify {res}");
        }
        if sub == "*" {
            wildcard_sub_of.insert(r);
        }
        if r == "*" {
            wildcard_res_for.insert(sub);
        }
    }
    if resources.len() > 1 && has_all_all {
        bail!("resources: if '*/*' is present, must not specify other resources");
    }
    if has_all && has_plain {
        bail!(
            "resources: if '*' is present, must not specify other resources without subresources"
        );
    }
    Ok(())
}

/// Every capability path `"{namespace}/{operation}"` that can be granted (contract §3.6).
pub const CAPABILITY_PATHS: &[&str] = &[
    "oci/v1/manifest_digest",
    "oci/v1/oci_manifest",
    "oci/v1/oci_manifest_config",
    "oci/v1/verify",
    "oci/v2/verify",
    "net/v1/dns_lookup_host",
    "crypto/v1/is_certificate_trusted",
    "kubernetes/list_resources_by_namespace",
    "kubernetes/list_resources_all",
    "kubernetes/get_resource",
    "kubernetes/can_i",
];

/// Host capability pattern (§3.6): `*`, a prefix ending in `/*` of a known
/// path, or an exact known path.
pub fn validate_host_capability(pattern: &str) -> Result<()> {
    if pattern == "*" {
        return Ok(());
    }
    if let Some(prefix) = pattern.strip_suffix("/*") {
        let p = format!("{prefix}/");
        if !prefix.is_empty() && CAPABILITY_PATHS.iter().any(|c| c.starts_with(&p)) {
            return Ok(());
        }
    } else if CAPABILITY_PATHS.contains(&pattern) {
        return Ok(());
    }
    bail!("hostCapabilities: unknown capability pattern {pattern:?}")
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

    fn rule(groups: &[&str], resources: &[&str], ops: &[Operation]) -> Rule {
        Rule {
            api_groups: groups.iter().map(|s| s.to_string()).collect(),
            api_versions: vec!["v1".into()],
            resources: resources.iter().map(|s| s.to_string()).collect(),
            operations: ops.to_vec(),
        }
    }

    #[test]
    fn rule_validation() {
        use Operation::*;
        assert!(validate_rule(&rule(&[""], &["pods"], &[Create])).is_ok());
        assert!(validate_rule(&rule(&["", "*"], &["pods"], &[Create])).is_err());
        assert!(validate_rule(&rule(&[], &["pods"], &[Create])).is_err());
        assert!(validate_rule(&rule(&[""], &[], &[Create])).is_err());
        assert!(validate_rule(&rule(&[""], &["pods"], &[])).is_err());
        assert!(validate_rule(&rule(&[""], &["pods"], &[All, Create])).is_err());
        assert!(validate_rule(&rule(&[""], &["pods"], &[Create, Create])).is_err());
        assert!(validate_rule(&rule(&["a"], &["*", "a/b", "a/*", "*/b"], &[Create])).is_ok());
        assert!(validate_rule(&rule(&["a"], &["*", "a"], &[Create])).is_err());
        assert!(validate_rule(&rule(&["a"], &["a/*", "a/x"], &[Create])).is_err());
        assert!(validate_rule(&rule(&["a"], &["a/*", "a"], &[Create])).is_ok());
        assert!(validate_rule(&rule(&["a"], &["*/a", "x/a"], &[Create])).is_err());
        assert!(validate_rule(&rule(&["a"], &["*/*", "pods"], &[Create])).is_err());
        assert!(Metadata::from_yaml_str("rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [PATCH]}]\nmutating: false").is_err());
    }

    #[test]
    fn host_capability_patterns() {
        for ok in [
            "*",
            "oci/*",
            "oci/v1/*",
            "kubernetes/can_i",
            "oci/v2/verify",
        ] {
            validate_host_capability(ok).unwrap();
        }
        for bad in ["", "foo/*", "oci/v3/*", "kubernetes/delete", "/*"] {
            assert!(validate_host_capability(bad).is_err(), "{bad}");
        }
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
