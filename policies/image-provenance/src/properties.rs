//! Properties of the whole decision (issue 11): no panic on any object, a wrong type at any
//! path a rule reads is never allowed, a violation in any container list of any workload kind
//! is denied, and a pinning patch is final and touches only `…/image`.

use crate::ImageProvenancePolicy;
use crate::provenance::fake::FakeHost;
use crate::settings::Settings;
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::response::ValidationResponse;
use policy_common::workload::{ContainerKind, WorkloadKind};
use policy_common::{Request, json};
use proptest::prelude::*;
use serde_json::{Value, json};

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const IMAGES: [&str; 3] = ["nginx:1.25", "busybox:1.36", "ghcr.io/org/app:1.0"];

fn request(kind: WorkloadKind, operation: &str, object: Value) -> KubernetesAdmissionRequest {
    serde_json::from_value(json!({
        "uid": "1", "operation": operation,
        "kind": {"group": kind.group(), "version": "v1", "kind": kind.as_str()},
        "namespace": "ns", "userInfo": {"username": "alice"},
        "object": object
    }))
    .unwrap()
}

fn run(s: &Settings, kind: WorkloadKind, object: Value, host: &FakeHost) -> ValidationResponse {
    let raw = request(kind, "CREATE", object);
    policy_common::policy::judge::<ImageProvenancePolicy>(&Request::new(&raw), s, host)
        .into_response()
}

fn host() -> FakeHost {
    let mut host = FakeHost::default();
    for image in IMAGES {
        let key = policy_common::image::ImageRef::parse(image)
            .unwrap()
            .to_string();
        host.digests.insert(key, Ok(D1.into()));
    }
    host
}

/// An object of `kind` whose PodSpec holds `spec`.
fn workload(kind: WorkloadKind, spec: Value) -> Value {
    let mut object = json!({"metadata": {"name": "w"}});
    json::set(&mut object, kind.pod_spec_pointer(), spec);
    object
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9:/@._-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("spec".to_owned()),
                    Just("template".to_owned()),
                    Just("jobTemplate".to_owned()),
                    Just("containers".to_owned()),
                    Just("initContainers".to_owned()),
                    Just("ephemeralContainers".to_owned()),
                    Just("image".to_owned()),
                    Just("name".to_owned()),
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn any_kind() -> impl Strategy<Value = WorkloadKind> {
    prop::sample::select(WorkloadKind::ALL.to_vec())
}

fn any_list() -> impl Strategy<Value = ContainerKind> {
    prop::sample::select(ContainerKind::ALL.to_vec())
}

/// Values of a type Kubernetes never sends where a list, object or string is read.
fn wrong_for(expected: &str) -> Vec<Value> {
    let mut v = vec![json!(5), json!(true)];
    if expected != "string" {
        v.push(json!("x"));
    }
    if expected != "list" {
        v.push(json!([1]));
    }
    if expected != "object" {
        v.push(json!({"a": 1}));
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_panic_on_any_object(kind in any_kind(), object in any_json(), update in any::<bool>()) {
        let s: Settings = serde_json::from_value(json!({"pinning": {"enabled": true}})).unwrap();
        let object = match object { Value::Object(_) => object, other => json!({"spec": other}) };
        let raw = request(kind, if update { "UPDATE" } else { "CREATE" }, object);
        let _ = policy_common::policy::judge::<ImageProvenancePolicy>(
            &Request::new(&raw), &s, &host()).into_response();
    }

    #[test]
    fn a_wrong_type_at_a_read_path_is_never_allowed(
        kind in any_kind(), list in any_list(), pick in 0usize..4, which in 0usize..8,
    ) {
        let mut spec = json!({});
        spec[list.field()] = json!([{"name": "a", "image": "nginx:1.25"}]);
        let mut object = workload(kind, spec);
        let pod = kind.pod_spec_pointer();
        let steps: Vec<&str> = pod.trim_start_matches('/').split('/').collect();
        let mut paths: Vec<(String, &str)> = (1..=steps.len())
            .map(|n| (format!("/{}", steps[..n].join("/")), "object"))
            .collect();
        paths.push((format!("{pod}/{}", list.field()), "list"));
        paths.push((format!("{pod}/{}/0", list.field()), "object"));
        paths.push((format!("{pod}/{}/0/image", list.field()), "string"));
        let (path, expected) = &paths[pick % paths.len()];
        let wrong = wrong_for(expected);
        json::set(&mut object, path, wrong[which % wrong.len()].clone());
        let r = run(&Settings::default(), kind, object, &FakeHost::default());
        prop_assert!(!r.accepted, "{} at {path}", wrong[which % wrong.len()]);
    }

    #[test]
    fn a_violation_in_any_container_list_is_denied(
        kind in any_kind(), list in any_list(), before in 0usize..3,
    ) {
        let mut spec = json!({});
        for l in ContainerKind::ALL {
            spec[l.field()] = json!([{"name": "ok", "image": "nginx:1.25"}]);
        }
        let items = spec[list.field()].as_array_mut().unwrap();
        for i in 0..before {
            items.push(json!({"name": format!("ok{i}"), "image": "busybox:1.36"}));
        }
        items.push(json!({"name": "bad", "image": "nginx:latest"}));
        let r = run(&Settings::default(), kind, workload(kind, spec), &FakeHost::default());
        prop_assert!(!r.accepted);
        let message = r.message.unwrap_or_default();
        prop_assert!(message.contains("'bad'"), "{message}");
    }

    #[test]
    fn a_pinning_patch_is_final_and_touches_only_images(
        kind in any_kind(), images in prop::collection::vec((any_list(), 0usize..3), 1..6),
    ) {
        let s: Settings = serde_json::from_value(json!({"pinning": {"enabled": true}})).unwrap();
        let mut spec = json!({"restartPolicy": "Never", "unknownField": {"kept": true}});
        for (i, (list, image)) in images.iter().enumerate() {
            let entry = json!({"name": format!("c{i}"), "image": IMAGES[*image], "x-extra": i});
            match spec.get_mut(list.field()).and_then(Value::as_array_mut) {
                Some(items) => items.push(entry),
                None => spec[list.field()] = json!([entry]),
            }
        }
        let object = workload(kind, spec);
        let r = run(&s, kind, object.clone(), &host());
        prop_assert!(r.accepted);
        let mutated = r.mutated_object.expect("tag-only references are pinned");
        let patch = json_patch_paths(&object, &mutated);
        for path in &patch {
            prop_assert!(path.ends_with("/image"), "{path}");
        }
        let again = run(&s, kind, mutated, &host());
        prop_assert!(again.accepted && again.mutated_object.is_none());
    }
}

/// The JSON pointers at which `a` and `b` differ (leaves only).
fn json_patch_paths(a: &Value, b: &Value) -> Vec<String> {
    fn walk(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for k in x.keys().chain(y.keys()) {
                    let (va, vb) = (
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                    );
                    walk(va, vb, format!("{at}/{k}"), out);
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                    walk(va, vb, format!("{at}/{i}"), out);
                }
            }
            _ if a != b => out.push(at),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(a, b, String::new(), &mut out);
    out
}
