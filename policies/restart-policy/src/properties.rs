//! Properties of the whole decision (issue 11): no panic on any object, a wrong type at any
//! path a rule reads is never allowed, a violation in any container list of any workload kind
//! is denied, and the `mutate` patch is final and touches only the pod `restartPolicy`.

use crate::RestartPolicyPolicy;
use crate::settings::Settings;
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::response::ValidationResponse;
use policy_common::{ContainerKind, Request, WorkloadKind, json};
use proptest::prelude::*;
use serde_json::{Value, json};

fn run(s: &Settings, kind: WorkloadKind, operation: &str, object: Value) -> ValidationResponse {
    let raw: KubernetesAdmissionRequest = serde_json::from_value(json!({
        "uid": "1", "operation": operation,
        "kind": {"group": kind.group(), "version": "v1", "kind": kind.as_str()},
        "namespace": "ns", "userInfo": {"username": "alice"},
        "object": object
    }))
    .unwrap();
    policy_common::policy::judge::<RestartPolicyPolicy>(&Request::new(&raw), s, &()).into_response()
}

/// Every kind this policy judges (PodTemplate has no restartPolicy rules).
fn any_kind() -> impl Strategy<Value = WorkloadKind> {
    prop::sample::select(
        WorkloadKind::ALL
            .into_iter()
            .filter(|k| *k != WorkloadKind::PodTemplate)
            .collect::<Vec<_>>(),
    )
}

fn any_list() -> impl Strategy<Value = ContainerKind> {
    prop::sample::select(ContainerKind::ALL.to_vec())
}

fn valid_policy(kind: WorkloadKind) -> &'static str {
    if kind.runs_job_pods() {
        "Never"
    } else {
        "Always"
    }
}

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
        prop_oneof![Just("Always"), Just("Never"), Just("OnFailure"), Just("x")]
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "spec",
                    "template",
                    "jobTemplate",
                    "containers",
                    "initContainers",
                    "ephemeralContainers",
                    "restartPolicy",
                    "restartPolicyRules",
                    "image",
                    "backoffLimit",
                    "podFailurePolicy",
                    "completionMode",
                ])
                .prop_map(str::to_owned),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn strict() -> Settings {
    serde_json::from_value(json!({
        "jobs": {"maxBackoffLimit": 5, "maxBackoffLimitPerIndex": 2,
                 "requireBackoffLimitPerIndex": true,
                 "activeDeadlineSeconds": {"max": 100}, "ttlSecondsAfterFinished": {"max": 100}},
        "containerRestartPolicy": {"sidecarImages": ["ghcr.io/org/*"]}
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_panic_on_any_object(kind in any_kind(), object in any_json(), mutate in any::<bool>()) {
        let mut s = strict();
        if mutate {
            s.missing_restart_policy = crate::settings::MissingMode::Mutate;
        }
        let object = match object { Value::Object(_) => object, other => json!({"spec": other}) };
        let _ = run(&s, kind, "CREATE", object);
    }

    #[test]
    fn a_wrong_type_at_a_read_path_is_never_allowed(
        kind in any_kind(), list in any_list(), pick in 0usize..16, wrong in 0usize..3,
    ) {
        let pod = kind.pod_spec_pointer();
        let mut spec = json!({"restartPolicy": valid_policy(kind)});
        spec[list.field()] = json!([{"name": "a", "image": "ghcr.io/org/a:1"}]);
        let mut object = workload(kind, spec);
        if let Some(job) = kind.job_spec_pointer() {
            for (field, v) in [("backoffLimit", json!(1)), ("activeDeadlineSeconds", json!(10)),
                               ("ttlSecondsAfterFinished", json!(10))] {
                json::set(&mut object, &format!("{job}/{field}"), v);
            }
        }
        let steps: Vec<&str> = pod.trim_start_matches('/').split('/').collect();
        let mut paths: Vec<(String, &str)> = (1..=steps.len())
            .map(|n| (format!("/{}", steps[..n].join("/")), "object"))
            .collect();
        let c = format!("{pod}/{}/0", list.field());
        paths.push((format!("{pod}/{}", list.field()), "list"));
        paths.push((c.clone(), "object"));
        paths.push((format!("{c}/restartPolicy"), "string"));
        paths.push((format!("{c}/restartPolicyRules"), "list"));
        paths.push((format!("{pod}/restartPolicy"), "string"));
        if let Some(job) = kind.job_spec_pointer() {
            for field in ["backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished",
                          "backoffLimitPerIndex"] {
                paths.push((format!("{job}/{field}"), "integer"));
            }
            paths.push((format!("{job}/completionMode"), "string"));
            paths.push((format!("{job}/podFailurePolicy"), "object"));
        }
        let (path, expected) = &paths[pick % paths.len()];
        let candidates: Vec<Value> = [json!(true), json!("x"), json!([1]), json!({"a": 1}), json!(1.5)]
            .into_iter()
            .filter(|v| match *expected {
                "string" => !v.is_string(),
                "list" => !v.is_array(),
                "object" => !v.is_object(),
                _ => !v.is_i64(),
            })
            .collect();
        let value = candidates[wrong % candidates.len()].clone();
        json::set(&mut object, path, value.clone());
        let r = run(&strict(), kind, "CREATE", object);
        prop_assert!(!r.accepted, "{value} at {path}: {:?}", r.warnings);
    }

    #[test]
    fn a_violation_in_any_container_list_is_denied(
        kind in any_kind(), list in any_list(), before in 0usize..3,
    ) {
        let mut spec = json!({"restartPolicy": valid_policy(kind)});
        let items: Vec<Value> = (0..before)
            .map(|i| json!({"name": format!("ok{i}"), "image": "ghcr.io/org/a:1"}))
            .chain([json!({"name": "bad", "image": "ghcr.io/org/a:1", "restartPolicy": "Never"})])
            .collect();
        spec[list.field()] = Value::from(items);
        let r = run(&Settings::default(), kind, "CREATE", workload(kind, spec));
        prop_assert!(!r.accepted);
        prop_assert!(r.message.unwrap_or_default().contains("'bad'"));
    }

    #[test]
    fn the_mutation_is_final_and_touches_only_the_pod_restart_policy(kind in any_kind()) {
        let s: Settings = serde_json::from_value(json!({"missingRestartPolicy": "mutate"})).unwrap();
        let object = workload(kind, json!({"containers": [{"name": "a", "image": "x:1"}],
                                           "unknownField": {"kept": true}}));
        let r = run(&s, kind, "CREATE", object.clone());
        prop_assert!(r.accepted);
        let mutated = r.mutated_object.expect("an unset restartPolicy is set");
        let mut expected = object;
        json::set(&mut expected, &format!("{}/restartPolicy", kind.pod_spec_pointer()),
                  json!(valid_policy(kind)));
        prop_assert_eq!(&mutated, &expected);
        let again = run(&s, kind, "CREATE", mutated);
        prop_assert!(again.accepted && again.mutated_object.is_none());
    }
}
