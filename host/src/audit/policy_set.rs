//! The policies of an audit, from a folder of annotated modules with their settings beside them,
//! from a stand-alone policy-server's `policies.yml`, or from Kubewarden's ClusterAdmissionPolicy
//! and AdmissionPolicy manifests (the files `kwhost scaffold` writes). Modules are local files:
//! a `registry://` module resolves through `--module-dir` folders and the store of `kwhost pull`
//! (or kwctl's), never through the network.

use std::path::{Path, PathBuf};

use kwhost_artifact::metadata::Rule;
use kwhost_artifact::store;
use policy_common::json::str_at;
use policy_common::selector::LabelSelector;
use serde::Deserialize;
use serde_json::Value;

use crate::evaluation::Policy;
use crate::model::admission_response::PolicyMode;
use crate::model::document::InputError;
use crate::model::settings::{self, Settings};
use crate::runtime::Runtime;

const SEVERITY: &str = "io.kubewarden.policy.severity";
const CATEGORY: &str = "io.kubewarden.policy.category";

/// One policy of the audit, as it is deployed.
pub struct AuditedPolicy {
    /// The file stem, the `policies.yml` id or the manifest's `metadata.name`.
    pub name: String,
    /// The name in PolicyReports, Kubewarden's unique name: `clusterwide-<name>`,
    /// `namespaced-<namespace>-<name>`, or the name itself outside a cluster manifest.
    pub report_name: String,
    pub policy: Policy,
    pub settings: Settings,
    /// The manifest's `spec.rules`, else the module metadata's.
    pub rules: Vec<Rule>,
    pub mode: PolicyMode,
    /// An AdmissionPolicy's namespace: it judges only that namespace's objects.
    pub namespace: Option<String>,
    pub namespace_selector: Option<LabelSelector>,
    pub object_selector: Option<LabelSelector>,
    pub severity: Option<String>,
    pub category: Option<String>,
    pub mutating: bool,
    pub context_aware: bool,
}

/// Where `registry://` modules are looked for, in order.
pub struct ModuleDirs {
    pub dirs: Vec<PathBuf>,
}

impl ModuleDirs {
    /// `--module-dir` folders, then the store of `kwhost pull`, then kwctl's.
    pub fn new(dirs: &[PathBuf]) -> Self {
        let mut dirs = dirs.to_vec();
        dirs.push(store::default_store_dir());
        dirs.extend(store::kwctl_store_dir());
        Self { dirs }
    }

    /// A module reference of a manifest as a local file: `file://` and bare paths are relative
    /// to the manifest's folder; `registry://` is looked for as `<dir>/<name>.wasm` and in the
    /// store layout below each folder; `http(s)://` needs the network, which an audit never uses.
    fn resolve(&self, module: &str, base: &Path) -> Result<PathBuf, InputError> {
        if let Some(path) = module.strip_prefix("file://") {
            return Ok(base.join(path));
        }
        if module.starts_with("http://") || module.starts_with("https://") {
            return Err(InputError::new(format!(
                "module {module}: the audit works offline; download it and give its folder with --module-dir"
            )));
        }
        let Some(reference) = module.strip_prefix("registry://") else {
            return Ok(base.join(module));
        };
        let bare = reference.split('@').next().unwrap_or(reference);
        let last = bare.rsplit('/').next().unwrap_or(bare);
        let name = last.split(':').next().unwrap_or(last);
        let mut tried = Vec::new();
        for dir in &self.dirs {
            let mut candidates = vec![dir.join(format!("{name}.wasm"))];
            if let Ok(path) = store::path_in_store(dir, module) {
                candidates.push(path);
            }
            for candidate in candidates {
                if candidate.is_file() {
                    return Ok(candidate);
                }
                tried.push(candidate.display().to_string());
            }
        }
        Err(InputError::new(format!(
            "module {module} is not in any module folder (tried {}); kwhost pull {module} stores it, or give its folder with --module-dir",
            tried.join(", ")
        )))
    }
}

/// Reads every policy source: a folder, or a YAML file of manifests or a `policies.yml`.
pub fn load(
    sources: &[PathBuf],
    modules: &ModuleDirs,
    runtime: &Runtime,
) -> Result<Vec<AuditedPolicy>, InputError> {
    let mut set = Vec::new();
    for source in sources {
        if source.is_dir() {
            set.extend(from_folder(source, runtime)?);
        } else {
            set.extend(from_manifests(source, modules, runtime)?);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for policy in &set {
        if !seen.insert(policy.report_name.as_str()) {
            return Err(InputError::new(format!(
                "two policies are named {}",
                policy.report_name
            )));
        }
    }
    if set.is_empty() {
        return Err(InputError::new(
            "no policy to audit with (every one is backgroundAudit: false?)",
        ));
    }
    Ok(set)
}

fn skipped(name: &str, why: &str) {
    eprintln!("audit: {name} skipped: {why} says backgroundAudit: false");
}

fn annotated(policy: &Policy, module: &Path) -> Result<(), InputError> {
    if policy.metadata.is_none() {
        return Err(InputError::new(format!(
            "{}: not annotated: the audit needs the module's metadata (kwhost annotate)",
            module.display()
        )));
    }
    Ok(())
}

/// A policy with what its module's metadata says; the caller overrides what a manifest sets.
fn from_module(name: String, policy: Policy, settings: Settings) -> AuditedPolicy {
    let metadata = policy.metadata.clone().unwrap_or_default();
    AuditedPolicy {
        report_name: name.clone(),
        name,
        settings,
        rules: metadata.rules.clone(),
        mode: PolicyMode::Protect,
        namespace: None,
        namespace_selector: None,
        object_selector: None,
        severity: metadata.annotation(SEVERITY).map(str::to_owned),
        category: metadata.annotation(CATEGORY).map(str::to_owned),
        mutating: metadata.mutating,
        context_aware: !metadata.context_aware_resources.is_empty(),
        policy,
    }
}

fn from_folder(dir: &Path, runtime: &Runtime) -> Result<Vec<AuditedPolicy>, InputError> {
    let mut modules: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "wasm"))
        .collect();
    modules.sort();
    if modules.is_empty() {
        return Err(InputError::new(format!(
            "{}: no policy module (*.wasm)",
            dir.display()
        )));
    }
    let mut set = Vec::new();
    for module in modules {
        let name = module
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let policy = Policy::load(runtime, &module)?;
        annotated(&policy, &module)?;
        if !policy.metadata.as_ref().is_some_and(|m| m.background_audit) {
            skipped(&name, "its metadata");
            continue;
        }
        let settings_path = ["yaml", "yml", "json"]
            .iter()
            .map(|ext| module.with_extension(ext))
            .find(|path| path.is_file());
        let settings = match settings_path {
            Some(path) => settings::from_file(&path)?,
            None => Settings::new(),
        };
        set.push(from_module(name, policy, settings));
    }
    Ok(set)
}

/// A policy-server `policies.yml` entry (policy groups are not audited yet).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyServerEntry {
    module: Option<String>,
    #[serde(default)]
    settings: Value,
    #[serde(default)]
    policy_mode: Option<String>,
    #[serde(default)]
    policies: Option<Value>,
}

/// The part of a ClusterAdmissionPolicy / AdmissionPolicy spec the audit reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicySpec {
    module: String,
    #[serde(default)]
    settings: Value,
    #[serde(default)]
    rules: Option<Vec<Rule>>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    background_audit: Option<bool>,
    #[serde(default)]
    namespace_selector: Option<LabelSelector>,
    #[serde(default)]
    object_selector: Option<LabelSelector>,
    #[serde(default)]
    match_conditions: Option<Vec<Value>>,
}

fn mode_of(text: Option<&str>, origin: &str) -> Result<PolicyMode, InputError> {
    match text {
        None | Some("protect") => Ok(PolicyMode::Protect),
        Some("monitor") => Ok(PolicyMode::Monitor),
        Some(other) => Err(InputError::new(format!(
            "{origin}: mode {other:?} is neither protect nor monitor"
        ))),
    }
}

fn from_manifests(
    file: &Path,
    modules: &ModuleDirs,
    runtime: &Runtime,
) -> Result<Vec<AuditedPolicy>, InputError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| InputError::new(format!("cannot read {}: {e}", file.display())))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let mut documents = Vec::new();
    for (i, document) in serde_yaml::Deserializer::from_str(&text).enumerate() {
        let origin = format!("{}#{}", file.display(), i + 1);
        match Value::deserialize(document) {
            Ok(Value::Null) => {}
            Ok(value) => documents.push((origin, value)),
            Err(e) => return Err(InputError::new(format!("{origin}: not valid YAML: {e}"))),
        }
    }
    let mut set = Vec::new();
    for (origin, document) in documents {
        let items = match document.get("kind").and_then(Value::as_str) {
            Some("List") => match document.get("items") {
                Some(Value::Array(items)) => items.clone(),
                _ => return Err(InputError::new(format!("{origin}: a List without items"))),
            },
            Some(_) => vec![document],
            None => {
                set.extend(from_policy_server_config(
                    &document, &origin, base, modules, runtime,
                )?);
                continue;
            }
        };
        for (j, item) in items.into_iter().enumerate() {
            let origin = format!("{origin}.items[{j}]");
            if let Some(policy) = from_custom_resource(&item, &origin, base, modules, runtime)? {
                set.push(policy);
            }
        }
    }
    Ok(set)
}

fn from_policy_server_config(
    document: &Value,
    origin: &str,
    base: &Path,
    modules: &ModuleDirs,
    runtime: &Runtime,
) -> Result<Vec<AuditedPolicy>, InputError> {
    let Value::Object(entries) = document else {
        return Err(InputError::new(format!(
            "{origin}: neither a policies.yml mapping nor a Kubewarden policy resource"
        )));
    };
    let mut set = Vec::new();
    for (id, entry) in entries {
        let origin = format!("{origin}: policy {id}");
        let entry: PolicyServerEntry = serde_json::from_value(entry.clone())
            .map_err(|e| InputError::new(format!("{origin}: {e}")))?;
        if entry.policies.is_some() {
            return Err(InputError::new(format!(
                "{origin}: policy groups are not audited yet"
            )));
        }
        let module = entry
            .module
            .ok_or_else(|| InputError::new(format!("{origin}: no module")))?;
        let path = modules.resolve(&module, base)?;
        let policy = Policy::load(runtime, &path)?;
        annotated(&policy, &path)?;
        if !policy.metadata.as_ref().is_some_and(|m| m.background_audit) {
            skipped(id, "its metadata");
            continue;
        }
        let mut audited = from_module(
            id.clone(),
            policy,
            settings::from_value(entry.settings, &origin)?,
        );
        audited.mode = mode_of(entry.policy_mode.as_deref(), &origin)?;
        set.push(audited);
    }
    Ok(set)
}

fn from_custom_resource(
    item: &Value,
    origin: &str,
    base: &Path,
    modules: &ModuleDirs,
    runtime: &Runtime,
) -> Result<Option<AuditedPolicy>, InputError> {
    let text = |p: &str| str_at(item, p);
    let kind = text("/kind").unwrap_or_default();
    if !text("/apiVersion").is_some_and(|v| v.starts_with("policies.kubewarden.io/")) {
        return Err(InputError::new(format!(
            "{origin}: {kind:?} is not a Kubewarden policy resource"
        )));
    }
    let namespaced = match kind {
        "ClusterAdmissionPolicy" => false,
        "AdmissionPolicy" => true,
        // Not a policy: nothing to audit with.
        "PolicyServer" => return Ok(None),
        other => {
            return Err(InputError::new(format!(
                "{origin}: {other} is not audited yet (ClusterAdmissionPolicy and AdmissionPolicy are)"
            )));
        }
    };
    let name = text("/metadata/name")
        .ok_or_else(|| InputError::new(format!("{origin}: no metadata.name")))?;
    let namespace = if namespaced {
        Some(
            text("/metadata/namespace")
                .ok_or_else(|| {
                    InputError::new(format!("{origin}: an AdmissionPolicy needs a namespace"))
                })?
                .to_owned(),
        )
    } else {
        None
    };
    let spec: PolicySpec = serde_json::from_value(item.get("spec").cloned().unwrap_or_default())
        .map_err(|e| InputError::new(format!("{origin}: spec: {e}")))?;
    if spec.background_audit == Some(false) {
        skipped(name, "its spec");
        return Ok(None);
    }
    if spec.match_conditions.is_some_and(|c| !c.is_empty()) {
        eprintln!(
            "audit: {name}: matchConditions are not evaluated offline: the policy judges every object its rules select"
        );
    }
    let path = modules.resolve(&spec.module, base)?;
    let policy = Policy::load(runtime, &path)?;
    annotated(&policy, &path)?;
    let mut audited = from_module(
        name.to_owned(),
        policy,
        settings::from_value(spec.settings, origin)?,
    );
    audited.report_name = match &namespace {
        Some(ns) => format!("namespaced-{ns}-{name}"),
        None => format!("clusterwide-{name}"),
    };
    if let Some(rules) = spec.rules {
        audited.rules = rules;
    }
    audited.mode = mode_of(spec.mode.as_deref(), origin)?;
    // The resource's annotations are what the audit-scanner reads severity and category from.
    let annotation = |key: &str| text(&format!("/metadata/annotations/{}", key.replace('/', "~1")));
    if let Some(severity) = annotation(SEVERITY) {
        audited.severity = Some(severity.to_owned());
    }
    if let Some(category) = annotation(CATEGORY) {
        audited.category = Some(category.to_owned());
    }
    audited.namespace = namespace;
    audited.namespace_selector = spec.namespace_selector;
    audited.object_selector = spec.object_selector;
    Ok(Some(audited))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_resolve_offline_or_not_at_all() {
        let tmp = std::env::temp_dir().join(format!("kwhost-module-dirs-{}", std::process::id()));
        let store = tmp.join("store");
        let in_store = store.join("registry/ghcr.io/acme/policies/p:v1");
        std::fs::create_dir_all(in_store.parent().unwrap()).unwrap();
        std::fs::write(&in_store, b"").unwrap();
        std::fs::write(tmp.join("q.wasm"), b"").unwrap();
        let dirs = ModuleDirs {
            dirs: vec![tmp.clone(), store],
        };
        let base = Path::new("/manifests");
        assert_eq!(
            dirs.resolve("registry://ghcr.io/acme/q:v2", base).unwrap(),
            tmp.join("q.wasm")
        );
        assert_eq!(
            dirs.resolve("registry://ghcr.io/acme/policies/p:v1", base)
                .unwrap(),
            in_store
        );
        assert_eq!(
            dirs.resolve("file://p.wasm", base).unwrap(),
            Path::new("/manifests/p.wasm")
        );
        assert_eq!(
            dirs.resolve("dist/p.wasm", base).unwrap(),
            Path::new("/manifests/dist/p.wasm")
        );
        let missing = dirs
            .resolve("registry://ghcr.io/acme/missing:v1", base)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("kwhost pull"), "{missing}");
        let remote = dirs
            .resolve("https://example.com/p.wasm", base)
            .unwrap_err()
            .to_string();
        assert!(remote.contains("offline"), "{remote}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn modes_are_protect_or_monitor() {
        assert_eq!(mode_of(None, "x").unwrap(), PolicyMode::Protect);
        assert_eq!(mode_of(Some("monitor"), "x").unwrap(), PolicyMode::Monitor);
        assert!(mode_of(Some("Monitor"), "x").is_err());
    }
}
