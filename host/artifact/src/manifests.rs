//! Cluster manifests (`kwctl scaffold manifest`) and stand-alone
//! policy-server configuration (`policies.yml`, docs/protocol.md §8.1).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::metadata::{ContextAwareResource, Metadata, Rule, ValidationError, annotations as a};

/// Why a manifest or a `policies.yml` cannot be written; each message names the input.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("unknown manifest type {kind:?}")]
    UnknownKind { kind: String },
    /// kwctl's text alone: the caller names the metadata file.
    #[error("{0}")]
    Metadata(ValidationError),
    #[error("no policy name given and no {} annotation", a::TITLE)]
    NoName,
    #[error(
        "Invalid title '{name}'. Must conform to RFC 1123: use lowercase alphanumeric chars, '-' or '.', and start/end with an alphanumeric character."
    )]
    InvalidName { name: String },
    #[error("settings must be a YAML mapping")]
    SettingsNotMapping,
    #[error("policy {id}: policyMode must be protect or monitor")]
    PolicyMode { id: String },
    #[error("policy {id}: settings must be a YAML mapping")]
    PolicySettingsNotMapping { id: String },
    #[error("duplicate policy id {id}")]
    DuplicateId { id: String },
    #[error("cannot write {what} as YAML: {reason}")]
    Yaml {
        what: &'static str,
        reason: serde_yaml::Error,
    },
}

type Result<T, E = ManifestError> = std::result::Result<T, E>;

fn yaml_error(what: &'static str) -> impl FnOnce(serde_yaml::Error) -> ManifestError {
    move |reason| ManifestError::Yaml { what, reason }
}

/// Which Kubewarden CRD to scaffold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    ClusterAdmissionPolicy,
    AdmissionPolicy,
}

impl std::str::FromStr for ManifestKind {
    type Err = ManifestError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ClusterAdmissionPolicy" => Ok(Self::ClusterAdmissionPolicy),
            "AdmissionPolicy" => Ok(Self::AdmissionPolicy),
            _ => Err(ManifestError::UnknownKind { kind: s.to_owned() }),
        }
    }
}

impl ManifestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterAdmissionPolicy => "ClusterAdmissionPolicy",
            Self::AdmissionPolicy => "AdmissionPolicy",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Resource<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: Spec<'a>,
}

#[derive(Serialize)]
struct ObjectMeta {
    name: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    policy_server: &'static str,
    module: String,
    settings: &'a serde_yaml::Value,
    rules: &'a [Rule],
    mutating: bool,
    /// Omitted when true (the CRD default), as kwctl does.
    #[serde(skip_serializing_if = "is_true")]
    background_audit: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    context_aware_resources: Option<&'a BTreeSet<ContextAwareResource>>,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// `registry://` is added to a bare reference; other schemes are kept.
pub fn module_uri(module_ref: &str) -> String {
    if module_ref.contains("://") {
        module_ref.to_string()
    } else {
        format!("registry://{module_ref}")
    }
}

/// Scaffolds a `policies.kubewarden.io/v1` ClusterAdmissionPolicy or
/// AdmissionPolicy, like `kwctl scaffold manifest -t <kind> --allow-context-aware`.
///
/// * `module_ref`: `registry://…`, `https://…`, `file://…`, or a bare OCI
///   reference (gets `registry://`).
/// * `settings`: a YAML mapping (`Null` means `{}`).
/// * `name`: `metadata.name`; defaults to the `io.kubewarden.policy.title`
///   annotation. Must be an RFC 1123 name.
///
/// The spec has `policyServer: default`, `module`, `settings`, `rules`,
/// `mutating`, `backgroundAudit` (only when false), and for
/// ClusterAdmissionPolicy `contextAwareResources` when the metadata lists
/// any. `metadata.annotations` carries the policy severity and category.
pub fn scaffold_manifest(
    metadata: &Metadata,
    module_ref: &str,
    settings: &serde_yaml::Value,
    kind: ManifestKind,
    name: Option<&str>,
) -> Result<String> {
    metadata.validate().map_err(ManifestError::Metadata)?;
    let name = name
        .or_else(|| metadata.annotation(a::TITLE))
        .ok_or(ManifestError::NoName)?;
    validate_rfc1123(name)?;
    let empty = serde_yaml::Value::Mapping(Default::default());
    let settings = match settings {
        serde_yaml::Value::Null => &empty,
        serde_yaml::Value::Mapping(_) => settings,
        _ => return Err(ManifestError::SettingsNotMapping),
    };
    let mut annotations = BTreeMap::new();
    for key in [a::SEVERITY, a::CATEGORY] {
        if let Some(v) = metadata.annotation(key) {
            annotations.insert(key.to_string(), v.to_string());
        }
    }
    let context_aware_resources = (kind == ManifestKind::ClusterAdmissionPolicy
        && !metadata.context_aware_resources.is_empty())
    .then_some(&metadata.context_aware_resources);
    let resource = Resource {
        api_version: "policies.kubewarden.io/v1",
        kind: kind.as_str(),
        metadata: ObjectMeta {
            name: name.to_string(),
            annotations,
        },
        spec: Spec {
            policy_server: "default",
            module: module_uri(module_ref),
            settings,
            rules: &metadata.rules,
            mutating: metadata.mutating,
            background_audit: metadata.background_audit,
            context_aware_resources,
        },
    };
    serde_yaml::to_string(&resource).map_err(yaml_error("the policy manifest"))
}

fn validate_rfc1123(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !ok {
        return Err(ManifestError::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// One policy of a stand-alone policy-server `policies.yml`.
#[derive(Debug, Clone)]
pub struct PolicyServerEntry<'a> {
    /// Key of the policy (the `/validate/<id>` path segment).
    pub id: &'a str,
    pub metadata: &'a Metadata,
    /// Module reference; `registry://` is added to a bare reference.
    pub module_ref: &'a str,
    /// YAML mapping, `Null` for `{}`.
    pub settings: &'a serde_yaml::Value,
    /// `protect` (default, omitted) or `monitor`.
    pub policy_mode: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyServerPolicy<'a> {
    module: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_mode: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allowed_to_mutate: bool,
    settings: &'a serde_yaml::Value,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    context_aware_resources: &'a BTreeSet<ContextAwareResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host_capabilities: Option<&'a Vec<String>>,
}

/// `policies.yml` for a stand-alone policy-server (docs/protocol.md §8.1): one entry per
/// policy with `module`, `policyMode` (if given), `allowedToMutate: true`
/// when the metadata says `mutating`, `settings`, `contextAwareResources`
/// (if any) and `hostCapabilities` when the metadata lists them
/// (policy-server's default is deny-all).
pub fn scaffold_policy_server_config(entries: &[PolicyServerEntry<'_>]) -> Result<String> {
    let empty = serde_yaml::Value::Mapping(Default::default());
    let mut root = serde_yaml::Mapping::new();
    for e in entries {
        e.metadata.validate().map_err(ManifestError::Metadata)?;
        if let Some(mode) = e.policy_mode
            && mode != "protect"
            && mode != "monitor"
        {
            return Err(ManifestError::PolicyMode {
                id: e.id.to_owned(),
            });
        }
        let settings = match e.settings {
            serde_yaml::Value::Null => &empty,
            serde_yaml::Value::Mapping(_) => e.settings,
            _ => {
                return Err(ManifestError::PolicySettingsNotMapping {
                    id: e.id.to_owned(),
                });
            }
        };
        let policy = PolicyServerPolicy {
            module: module_uri(e.module_ref),
            policy_mode: e.policy_mode,
            allowed_to_mutate: e.metadata.mutating,
            settings,
            context_aware_resources: &e.metadata.context_aware_resources,
            host_capabilities: e.metadata.host_capabilities.as_ref(),
        };
        let key = serde_yaml::Value::String(e.id.to_string());
        if root.contains_key(&key) {
            return Err(ManifestError::DuplicateId {
                id: e.id.to_owned(),
            });
        }
        let policy = serde_yaml::to_value(&policy).map_err(yaml_error("a policies.yml entry"))?;
        root.insert(key, policy);
    }
    serde_yaml::to_string(&root).map_err(yaml_error("policies.yml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(extra: &str) -> Metadata {
        Metadata::from_yaml_str(&format!(
            r#"
rules:
  - apiGroups: ["apps"]
    apiVersions: ["v1"]
    resources: ["deployments"]
    operations: ["CREATE", "UPDATE"]
mutating: true
annotations:
  io.kubewarden.policy.title: image-provenance
  io.kubewarden.policy.severity: high
  io.kubewarden.policy.category: Supply chain
{extra}"#
        ))
        .unwrap()
    }

    #[test]
    fn cluster_admission_policy() {
        let m = md(
            "contextAwareResources: [{apiVersion: v1, kind: Namespace}]\nbackgroundAudit: false\n",
        );
        let settings: serde_yaml::Value = serde_yaml::from_str("allowed: [ghcr.io]").unwrap();
        let y = scaffold_manifest(
            &m,
            "ghcr.io/x/image-provenance:v0.1.0",
            &settings,
            ManifestKind::ClusterAdmissionPolicy,
            None,
        )
        .unwrap();
        let v: serde_yaml::Value = serde_yaml::from_str(&y).unwrap();
        assert_eq!(v["apiVersion"], "policies.kubewarden.io/v1");
        assert_eq!(v["kind"], "ClusterAdmissionPolicy");
        assert_eq!(v["metadata"]["name"], "image-provenance");
        assert_eq!(
            v["metadata"]["annotations"]["io.kubewarden.policy.severity"],
            "high"
        );
        let spec = &v["spec"];
        assert_eq!(spec["policyServer"], "default");
        assert_eq!(
            spec["module"],
            "registry://ghcr.io/x/image-provenance:v0.1.0"
        );
        assert_eq!(spec["settings"]["allowed"][0], "ghcr.io");
        assert_eq!(spec["rules"][0]["resources"][0], "deployments");
        assert_eq!(spec["rules"][0]["operations"][1], "UPDATE");
        assert_eq!(spec["mutating"], true);
        assert_eq!(spec["backgroundAudit"], false);
        assert_eq!(spec["contextAwareResources"][0]["kind"], "Namespace");
    }

    #[test]
    fn admission_policy_defaults() {
        let m = md("contextAwareResources: [{apiVersion: v1, kind: Namespace}]\n");
        let y = scaffold_manifest(
            &m,
            "registry://r/p:v1",
            &serde_yaml::Value::Null,
            ManifestKind::AdmissionPolicy,
            Some("custom-name"),
        )
        .unwrap();
        let v: serde_yaml::Value = serde_yaml::from_str(&y).unwrap();
        assert_eq!(v["kind"], "AdmissionPolicy");
        assert_eq!(v["metadata"]["name"], "custom-name");
        assert!(v["spec"]["settings"].as_mapping().unwrap().is_empty());
        assert!(v["spec"].get("backgroundAudit").is_none());
        assert!(v["spec"].get("contextAwareResources").is_none());
        assert!(
            scaffold_manifest(
                &m,
                "r/p",
                &serde_yaml::Value::Null,
                ManifestKind::AdmissionPolicy,
                Some("Bad_Name")
            )
            .is_err()
        );
    }

    #[test]
    fn policies_yml() {
        let caps = md(
            "hostCapabilities: [\"oci/v2/verify\", \"oci/v1/manifest_digest\"]\ncontextAwareResources: [{apiVersion: v1, kind: Namespace}]\n",
        );
        let plain = Metadata::from_yaml_str(
            "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: ['*']}]\nmutating: false\n",
        )
        .unwrap();
        let settings: serde_yaml::Value = serde_yaml::from_str("a: 1").unwrap();
        let y = scaffold_policy_server_config(&[
            PolicyServerEntry {
                id: "image-provenance",
                metadata: &caps,
                module_ref: "file:///dist/image-provenance.wasm",
                settings: &settings,
                policy_mode: None,
            },
            PolicyServerEntry {
                id: "restart-policy",
                metadata: &plain,
                module_ref: "ghcr.io/x/restart-policy:v0.1.0",
                settings: &serde_yaml::Value::Null,
                policy_mode: Some("monitor"),
            },
        ])
        .unwrap();
        let v: serde_yaml::Value = serde_yaml::from_str(&y).unwrap();
        let ip = &v["image-provenance"];
        assert_eq!(ip["module"], "file:///dist/image-provenance.wasm");
        assert_eq!(ip["allowedToMutate"], true);
        assert_eq!(ip["settings"]["a"], 1);
        assert_eq!(ip["hostCapabilities"][0], "oci/v2/verify");
        assert_eq!(ip["contextAwareResources"][0]["apiVersion"], "v1");
        let rp = &v["restart-policy"];
        assert_eq!(rp["module"], "registry://ghcr.io/x/restart-policy:v0.1.0");
        assert_eq!(rp["policyMode"], "monitor");
        assert!(rp.get("allowedToMutate").is_none());
        assert!(rp.get("hostCapabilities").is_none());
        assert!(rp["settings"].as_mapping().unwrap().is_empty());
    }
}
