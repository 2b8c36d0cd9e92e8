//! Every `policies/*/metadata.yml` of the workspace loads, validates, and
//! yields an Artifact Hub package and manifests that parse as YAML.

use std::path::Path;

use kwhost_artifact::artifacthub::build_artifacthub_pkg;
use kwhost_artifact::{
    ManifestKind, Metadata, PolicyServerEntry, artifacthub_pkg, scaffold_manifest,
    scaffold_policy_server_config,
};

#[test]
fn workspace_policy_metadata_is_publishable() {
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut checked = 0;
    for entry in std::fs::read_dir(&policies).unwrap() {
        let dir = entry.unwrap().path();
        let file = dir.join("metadata.yml");
        if !file.exists() {
            continue;
        }
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        let m = Metadata::load(&file).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let questions = std::fs::read_to_string(dir.join("questions-ui.yml")).ok();
        let pkg = build_artifacthub_pkg(&m, questions.as_deref(), "2026-01-01T00:00:00Z")
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(
            pkg.name, name,
            "title annotation should be the directory name"
        );
        let yaml = artifacthub_pkg(&m, questions.as_deref(), "2026-01-01T00:00:00Z").unwrap();
        serde_yaml::from_str::<serde_yaml::Value>(&yaml).unwrap();
        for kind in [
            ManifestKind::ClusterAdmissionPolicy,
            ManifestKind::AdmissionPolicy,
        ] {
            let y = scaffold_manifest(
                &m,
                &format!("ghcr.io/example/{name}:v0.1.0"),
                &serde_yaml::Value::Null,
                kind,
                None,
            )
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            serde_yaml::from_str::<serde_yaml::Value>(&y).unwrap();
        }
        let cfg = scaffold_policy_server_config(&[PolicyServerEntry {
            id: &name,
            metadata: &m,
            module_ref: "file:///var/lib/policies/p.wasm",
            settings: &serde_yaml::Value::Null,
            policy_mode: None,
        }])
        .unwrap();
        serde_yaml::from_str::<serde_yaml::Value>(&cfg).unwrap();
        checked += 1;
    }
    eprintln!("checked {checked} policy metadata files");
}
