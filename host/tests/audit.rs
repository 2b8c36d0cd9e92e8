//! The `kwhost audit` command on annotated WAT guests (the real policies' audit is checked by
//! tests/scripts/check-audit.py in `make suites`).

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

/// `kwhost audit` with an annotated guest that denies every request: which objects it judges
/// (rules, selectors, an unknown kind), monitor mode, exit status, and a module it cannot have.
#[test]
fn audit_judges_what_the_rules_and_selectors_select() {
    let dir = scratch_dir("audit");
    let cache = dir.join("cache");
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    // Answers `protocol_version` (16 bytes of operation name) with "v1", which annotate asks.
    let denial = r#"{"accepted":false,"message":"nope"}"#;
    let guest = write_module(
        &dir,
        "deny.wasm",
        &guest_wat(
            &format!(
                "(if (i32.eq (local.get $op_len) (i32.const 16)) (then \
                   (call $guest_response (i32.const 64) (i32.const 4)) (return (i32.const 1)))) \
                 (call $guest_response (i32.const 68) (i32.const {})) (i32.const 1)",
                denial.len()
            ),
            &format!("\"v1\"{denial}"),
            None,
        ),
    );
    std::fs::write(
        dir.join("metadata.yml"),
        "rules:\n  - {apiGroups: [\"\"], apiVersions: [v1], resources: [pods], operations: [CREATE]}\n\
         mutating: false\nbackgroundAudit: true\nexecutionMode: kubewarden-wapc\n\
         annotations: {io.kubewarden.policy.title: deny, io.kubewarden.policy.severity: low}\n",
    )
    .unwrap();
    let annotated = policies.join("deny.wasm");
    let out = kwhost(
        &[
            "annotate",
            guest.to_str().unwrap(),
            "-m",
            dir.join("metadata.yml").to_str().unwrap(),
            "-o",
            annotated.to_str().unwrap(),
        ],
        &cache,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dump = dir.join("dump.yaml");
    std::fs::write(
        &dump,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {env: prod}}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: p1, namespace: a}\nspec: {containers: []}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: p2, namespace: b}\nspec: {containers: []}\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n---\n\
         apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: a}\n",
    )
    .unwrap();
    let audit = |policy: &Path, extra: &[&str]| {
        let mut args = vec![
            "audit",
            "-p",
            policy.to_str().unwrap(),
            dump.to_str().unwrap(),
            "-f",
            "json",
        ];
        args.extend_from_slice(extra);
        kwhost(&args, &cache)
    };
    let verdicts = |out: &Output| -> Vec<(String, String, String)> {
        let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        results
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let field = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                (field("resource"), field("policy"), field("verdict"))
            })
            .collect()
    };
    let own = |v: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        v.iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect()
    };

    // A folder: the metadata's rules select the Pods only; the Widget cannot be judged.
    let out = audit(&policies, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        verdicts(&out),
        own(&[
            ("Pod a/p1", "deny", "fail"),
            ("Pod b/p2", "deny", "fail"),
            ("Widget a/w", "", "error"),
        ])
    );
    assert_eq!(
        audit(&policies, &["--fail-on", "never"]).status.code(),
        Some(0)
    );

    // A ClusterAdmissionPolicy in monitor mode whose namespaceSelector wants env=prod.
    let manifest = dir.join("policies.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\n\
         metadata: {name: deny-prod}\nspec:\n  module: file://policies/deny.wasm\n  mode: monitor\n\
         \x20 rules: [{apiGroups: [\"\"], apiVersions: [v1], resources: [pods, configmaps], operations: [\"*\"]}]\n\
         \x20 namespaceSelector: {matchLabels: {env: prod}}\n",
    )
    .unwrap();
    let out = audit(&manifest, &[]);
    // A denial in monitor mode does not deny: exit 0 under --fail-on deny.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        verdicts(&out),
        own(&[
            ("Pod a/p1", "deny-prod", "fail"),
            ("Pod b/p2", "deny-prod", "skip"),
            ("ConfigMap a/c", "deny-prod", "fail"),
            ("Widget a/w", "", "error"),
        ])
    );
    assert_eq!(
        audit(&manifest, &["--fail-on", "warn"]).status.code(),
        Some(1)
    );
    let reports = kwhost(
        &[
            "audit",
            "-p",
            manifest.to_str().unwrap(),
            dump.to_str().unwrap(),
            "-f",
            "policy-reports",
        ],
        &cache,
    );
    let reports = text(&reports.stdout);
    assert_eq!(
        reports.matches("kind: PolicyReport").count(),
        3,
        "{reports}"
    );
    assert!(
        reports.contains("policy: clusterwide-deny-prod"),
        "{reports}"
    );
    assert!(reports.contains("severity: info"), "{reports}");

    // A module the audit would have to download.
    std::fs::write(
        &manifest,
        "deny:\n  module: https://example.com/deny.wasm\n",
    )
    .unwrap();
    let out = audit(&manifest, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("offline"),
        "{}",
        text(&out.stderr)
    );
}
