use super::*;
use crate::provenance::fake::FakeHost;
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::response::ValidationResponse;
use policy_common::WorkloadKind;
use serde_json::json;

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const KEY: &str = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----";

fn settings(v: Value) -> Settings {
    let s: Settings = serde_json::from_value(v).unwrap();
    kubewarden_policy_sdk::settings::Validatable::validate(&s).unwrap();
    s
}

fn pod(images: &[(&str, &str)]) -> Value {
    let containers: Vec<Value> = images
        .iter()
        .map(|(n, i)| json!({"name": n, "image": i}))
        .collect();
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
           "spec": {"containers": containers}})
}

fn request(
    kind: WorkloadKind,
    operation: &str,
    object: Value,
    old: Value,
) -> KubernetesAdmissionRequest {
    serde_json::from_value(json!({
        "uid": "1", "operation": operation,
        "kind": {"group": kind.group(), "version": "v1", "kind": kind.as_str()},
        "namespace": "ns", "userInfo": {"username": "alice", "groups": ["dev"]},
        "object": object, "oldObject": old
    }))
    .unwrap()
}

fn run_with(s: &Settings, raw: &KubernetesAdmissionRequest, host: &FakeHost) -> ValidationResponse {
    policy_common::policy::judge::<crate::ImageProvenancePolicy>(&Request::new(raw), s, host)
        .into_response()
}

fn run(s: &Settings, object: Value) -> ValidationResponse {
    run_with(
        s,
        &request(WorkloadKind::Pod, "CREATE", object, Value::Null),
        &FakeHost::default(),
    )
}

fn message(r: &ValidationResponse) -> &str {
    r.message.as_deref().unwrap_or("")
}

#[test]
fn defaults_ban_latest_per_container_with_rule_and_reference() {
    let r = run(
        &Settings::default(),
        pod(&[
            ("app", "nginx"),
            ("ok", "nginx:1.25"),
            ("side", "ghcr.io/o/x:latest"),
        ]),
    );
    assert!(!r.accepted);
    assert_eq!(
        message(&r),
        "container 'app': image 'docker.io/library/nginx:latest' violates rule 'tag': tag 'latest' (implicit) is rejected (tags.reject 'latest'); \
         container 'side': image 'ghcr.io/o/x:latest' violates rule 'tag': tag 'latest' is rejected (tags.reject 'latest')"
    );
    assert!(r.audit_annotations.unwrap().contains_key("tag"));
}

#[test]
fn unparsable_references_fail_closed_quoting_them() {
    let s = Settings::default();
    for (image, why) in [
        ("Nginx:1", "repository name must be lower-case"),
        ("nginx@sha256:abc", "digest"),
        ("nginx@md5:d41d8cd98f00b204e9800998ecf8427e", "digest"),
        (&format!("nginx@sha256:{}", "A".repeat(64)), "digest"),
        ("https://ghcr.io/app:1", "invalid image reference"),
        ("ghcr.io/app:", "tag"),
        ("nginx :1", "not allowed"),
        ("", "empty"),
    ] {
        let r = run(&s, pod(&[("app", image)]));
        assert!(!r.accepted, "{image}");
        let m = message(&r);
        assert!(
            m.starts_with(&format!(
                "container 'app': image reference {image:?} violates rule 'image-reference'"
            )),
            "{m}"
        );
        assert!(m.contains(why), "{image}: {m}");
    }
    let r = run(
        &s,
        json!({"spec": {"containers": [{"name": "a"}, {"name": "b", "image": 5}]}}),
    );
    assert_eq!(
        message(&r),
        "container 'a': has no image (rule 'image-reference'); malformed request: /spec/containers/1/image must be a string"
    );
}

#[test]
fn parser_edge_cases_in_context() {
    let s = settings(
        json!({"registries": {"allow": ["docker.io", "localhost:5000", "ghcr.io"]}, "tags": {"reject": []}}),
    );
    for (image, accepted) in [
        ("nginx", true),
        ("bitnami/redis", true),
        ("index.docker.io/library/nginx:1", true),
        ("GHCR.IO/org/app:v1", true),
        ("localhost:5000/app", true),
        ("localhost:05000/app", true),
        ("localhost/app", false),
        ("localhost:5001/app", false),
        ("ghcr.io.evil.io/org/app", false),
        ("quay.io/org/app", false),
        (&format!("app@sha512:{}", "f".repeat(128)), true),
        (&format!("app@sha512:{}", "f".repeat(64)), false),
    ] {
        assert_eq!(run(&s, pod(&[("c", image)])).accepted, accepted, "{image}");
    }
}

#[test]
fn registry_repository_rules_never_prefix_match() {
    let s = settings(json!({
        "registries": {"reject": ["docker.io"]},
        "repositories": {"allow": ["ghcr.io/org/*"]}
    }));
    let r = run(
        &s,
        pod(&[
            ("a", "ubuntu:22.04"),
            ("b", "ghcr.io/organisation/app:1"),
            ("c", "ghcr.io/org/app:1"),
        ]),
    );
    assert_eq!(
        message(&r),
        "container 'a': image 'docker.io/library/ubuntu:22.04' violates rule 'registry': registry 'docker.io' is rejected (registries.reject 'docker.io'); \
         container 'a': image 'docker.io/library/ubuntu:22.04' violates rule 'repository': repository 'docker.io/library/ubuntu' is not in repositories.allow; \
         container 'b': image 'ghcr.io/organisation/app:1' violates rule 'repository': repository 'ghcr.io/organisation/app' is not in repositories.allow"
    );
}

#[test]
fn warn_and_off_actions() {
    let s = settings(
        json!({"tags": {"action": "warn"}, "registries": {"reject": ["docker.io"], "action": "off"}}),
    );
    let r = run(&s, pod(&[("app", "nginx:latest")]));
    assert!(r.accepted);
    assert_eq!(
        r.warnings.unwrap(),
        [
            "container 'app': image 'docker.io/library/nginx:latest' violates rule 'tag': tag 'latest' is rejected (tags.reject 'latest')"
        ]
    );
}

#[test]
fn every_workload_kind_and_container_kind() {
    let spec = json!({
        "containers": [{"name": "app", "image": "nginx"}],
        "initContainers": [{"name": "init", "image": "busybox:latest"}],
        "ephemeralContainers": [{"name": "debug", "image": "Alpine"}]
    });
    for kind in WorkloadKind::ALL {
        let mut object = json!({"metadata": {"name": "w"}});
        policy_common::json::set(&mut object, kind.pod_spec_pointer(), spec.clone());
        let r = run_with(
            &Settings::default(),
            &request(kind, "CREATE", object, Value::Null),
            &FakeHost::default(),
        );
        let m = message(&r);
        assert!(
            m.contains("container 'app': image 'docker.io/library/nginx:latest'"),
            "{kind}: {m}"
        );
        assert!(
            m.contains("init container 'init': image 'docker.io/library/busybox:latest'"),
            "{kind}: {m}"
        );
        assert!(
            m.contains("ephemeral container 'debug': image reference \"Alpine\""),
            "{kind}: {m}"
        );
    }
}

#[test]
fn unknown_kinds_delete_and_exemptions_are_accepted() {
    let s = Settings::default();
    let bad = pod(&[("app", "nginx")]);
    let mut raw = request(WorkloadKind::Pod, "CREATE", bad.clone(), Value::Null);
    raw.kind.kind = "Service".into();
    assert!(run_with(&s, &raw, &FakeHost::default()).accepted);
    let raw = request(WorkloadKind::Pod, "DELETE", Value::Null, bad.clone());
    assert!(run_with(&s, &raw, &FakeHost::default()).accepted);

    for exemptions in [
        json!({"namespaces": ["ns"]}),
        json!({"users": ["alice"]}),
        json!({"groups": ["dev"]}),
        json!({"names": ["p"]}),
    ] {
        let s = settings(json!({"exemptions": exemptions}));
        assert!(run(&s, bad.clone()).accepted, "{exemptions}");
    }
    let s = settings(json!({"exemptions": {"images": ["nginx"]}}));
    assert!(run(&s, bad.clone()).accepted);
    assert!(!run(&s, pod(&[("app", "nginxx")])).accepted);
}

#[test]
fn update_judges_only_changed_references_when_asked() {
    let old = pod(&[("app", "nginx"), ("side", "envoy:latest")]);
    let new = pod(&[
        ("app", "docker.io/library/nginx:latest"),
        ("side", "envoy:latest"),
        ("new", "redis:latest"),
    ]);
    let all = Settings::default();
    let r = run_with(
        &all,
        &request(WorkloadKind::Pod, "UPDATE", new.clone(), old.clone()),
        &FakeHost::default(),
    );
    assert_eq!(
        r.audit_annotations.unwrap()["tag"]
            .matches("violates")
            .count(),
        3
    );

    let changed = settings(json!({"onUpdate": "changed"}));
    let r = run_with(
        &changed,
        &request(WorkloadKind::Pod, "UPDATE", new.clone(), old.clone()),
        &FakeHost::default(),
    );
    assert!(!r.accepted);
    assert_eq!(
        message(&r),
        "container 'new': image 'docker.io/library/redis:latest' violates rule 'tag': tag 'latest' is rejected (tags.reject 'latest')"
    );
    // Same name but another container kind is a new container.
    let mut moved = old.clone();
    moved["spec"]["initContainers"] = json!([{"name": "side", "image": "envoy:latest"}]);
    moved["spec"]["containers"] = json!([]);
    let r = run_with(
        &changed,
        &request(WorkloadKind::Pod, "UPDATE", moved, old.clone()),
        &FakeHost::default(),
    );
    assert!(
        message(&r).starts_with("init container 'side'"),
        "{}",
        message(&r)
    );
    // CREATE is never filtered.
    assert!(
        !run_with(
            &changed,
            &request(WorkloadKind::Pod, "CREATE", old.clone(), old),
            &FakeHost::default()
        )
        .accepted
    );
}

#[test]
fn digest_requirement() {
    let s = settings(json!({"digests": {"require": true, "exempt": ["ghcr.io/org/base"]}}));
    let r = run(
        &s,
        pod(&[
            ("a", "nginx:1.25"),
            ("b", &format!("nginx@{D1}")),
            ("c", "ghcr.io/org/base:1"),
        ]),
    );
    assert_eq!(
        message(&r),
        "container 'a': image 'docker.io/library/nginx:1.25' violates rule 'digest': the reference has no digest (digests.require)"
    );
}

fn pinning(on_failure: &str) -> Settings {
    settings(
        json!({"pinning": {"enabled": true, "onLookupFailure": on_failure}, "digests": {"require": true}}),
    )
}

#[test]
fn pinning_rewrites_tag_only_references_in_place() {
    let mut host = FakeHost::default();
    host.digests
        .insert("docker.io/library/nginx:1.25".into(), Ok(D1.into()));
    host.digests
        .insert("ghcr.io/org/app:v1".into(), Ok(D2.into()));
    let object = json!({"metadata": {"name": "d"}, "spec": {"replicas": 2, "template": {"spec": {
        "containers": [{"name": "a", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
                       {"name": "b", "image": format!("ghcr.io/org/pinned@{D2}")}],
        "initContainers": [{"name": "i", "image": "GHCR.io/org/app:v1"}, {"name": "j", "image": "nginx:1.25"}]
    }}}});
    let r = run_with(
        &pinning("deny"),
        &request(
            WorkloadKind::Deployment,
            "CREATE",
            object.clone(),
            Value::Null,
        ),
        &host,
    );
    assert!(r.accepted, "{:?}", r.message);
    let mut expected = object;
    expected["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!(format!("docker.io/library/nginx:1.25@{D1}"));
    expected["spec"]["template"]["spec"]["initContainers"][0]["image"] =
        json!(format!("ghcr.io/org/app:v1@{D2}"));
    expected["spec"]["template"]["spec"]["initContainers"][1]["image"] =
        json!(format!("docker.io/library/nginx:1.25@{D1}"));
    assert_eq!(r.mutated_object, Some(expected));
    assert_eq!(
        *host.calls.borrow(),
        [
            "digest docker.io/library/nginx:1.25",
            "digest ghcr.io/org/app:v1"
        ],
        "one lookup per distinct reference, none for pinned ones"
    );
}

#[test]
fn pinning_lookup_failure_denies_or_warns() {
    let mut host = FakeHost::default();
    host.digests.insert(
        "docker.io/library/gone:1".into(),
        Err("manifest unknown".into()),
    );
    let object = pod(&[("a", "gone:1")]);
    let raw = request(WorkloadKind::Pod, "CREATE", object, Value::Null);
    let r = run_with(&pinning("deny"), &raw, &host);
    assert!(!r.accepted);
    assert!(message(&r).starts_with(
        "container 'a': image 'docker.io/library/gone:1' violates rule 'digest-pinning': digest lookup failed: manifest unknown"
    ), "{}", message(&r));

    let warn = settings(json!({"pinning": {"enabled": true, "onLookupFailure": "warn"}}));
    let r = run_with(&warn, &raw, &host);
    assert!(r.accepted && r.mutated_object.is_none());
    assert_eq!(r.warnings.unwrap().len(), 1);
}

#[test]
fn static_denials_skip_host_calls() {
    let host = FakeHost::default();
    let raw = request(
        WorkloadKind::Pod,
        "CREATE",
        pod(&[("a", "nginx:latest")]),
        Value::Null,
    );
    let r = run_with(&pinning("deny"), &raw, &host);
    assert!(message(&r).contains("rule 'tag'") && !message(&r).contains("digest-pinning"));
    assert!(host.calls.borrow().is_empty());
}

fn signatures(extra: Value) -> Settings {
    let mut v = json!({"signatures": {"rules": [
        {"name": "org", "images": ["ghcr.io/org/**"], "verifiers": [{"pubKey": KEY}, {"githubActions": {"owner": "org"}}], "threshold": 1}
    ]}});
    if let (Some(base), Some(more)) = (v["signatures"].as_object_mut(), extra.as_object()) {
        base.extend(more.clone());
    }
    settings(v)
}

#[test]
fn signatures_verified_denied_and_unmatched() {
    let mut host = FakeHost::default();
    host.signatures
        .push(("ghcr.io/org/good*".into(), "githubActions", Ok(D1.into())));
    let s = signatures(json!({}));
    let raw = request(
        WorkloadKind::Pod,
        "CREATE",
        pod(&[
            ("good", "ghcr.io/org/good:1"),
            ("bad", "ghcr.io/org/bad:1"),
            ("other", "quay.io/x/y:1"),
        ]),
        Value::Null,
    );
    let r = run_with(&s, &raw, &host);
    assert!(!r.accepted);
    assert_eq!(
        message(&r),
        "container 'bad': image 'ghcr.io/org/bad:1' violates rule 'signature': signature rule 'org': 0 of 1 required verifications succeeded: \
         pubKey[0]: no signatures found; githubActions[1]: no signatures found"
    );
    assert!(
        host.calls.borrow().iter().all(|c| !c.contains("quay.io")),
        "unmatched images are not checked"
    );

    let r = run_with(&signatures(json!({"action": "warn"})), &raw, &host);
    assert!(r.accepted && r.mutated_object.is_none());
}

#[test]
fn verified_images_can_be_rewritten_to_the_verified_digest() {
    let mut host = FakeHost::default();
    host.signatures
        .push(("ghcr.io/org/*".into(), "pubKey", Ok(D1.into())));
    let s = signatures(json!({"mutateToDigest": true}));
    let raw = request(
        WorkloadKind::Pod,
        "CREATE",
        pod(&[
            ("a", "ghcr.io/org/app:1"),
            ("b", &format!("ghcr.io/org/app@{D1}")),
        ]),
        Value::Null,
    );
    let r = run_with(&s, &raw, &host);
    assert!(r.accepted, "{:?}", r.message);
    let mut expected = pod(&[
        ("a", &format!("ghcr.io/org/app:1@{D1}")),
        ("b", &format!("ghcr.io/org/app@{D1}")),
    ]);
    assert_eq!(r.mutated_object.as_ref(), Some(&expected));

    // With pinning, the pinned digest is what gets verified.
    host.calls.borrow_mut().clear();
    host.digests
        .insert("ghcr.io/org/app:1".into(), Ok(D1.into()));
    let mut s = s;
    s.pinning.enabled = true;
    let r = run_with(&s, &raw, &host);
    assert!(r.accepted);
    assert_eq!(
        *host.calls.borrow(),
        [
            "digest ghcr.io/org/app:1".to_owned(),
            format!("verify pubKey ghcr.io/org/app:1@{D1}"),
            format!("verify pubKey ghcr.io/org/app@{D1}")
        ]
    );
    expected["spec"]["containers"][0]["image"] = json!(format!("ghcr.io/org/app:1@{D1}"));
    assert_eq!(r.mutated_object, Some(expected));

    // Pinned to a digest the signature does not cover: refused.
    host.digests
        .insert("ghcr.io/org/app:1".into(), Ok(D2.into()));
    let r = run_with(&s, &raw, &host);
    assert!(
        message(&r).contains(&format!(
            "verified digest {D1} is not the reference's digest {D2}"
        )),
        "{}",
        message(&r)
    );
}
