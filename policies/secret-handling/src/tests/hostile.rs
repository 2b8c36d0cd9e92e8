//! Hostile input: wrong types at every field a rule reads fail closed, planted credentials in
//! every container list and in `binaryData` are found, and the mutation stays in its paths.

use super::support::{message, pod, request, run};
use proptest::prelude::*;
use serde_json::{Value, json};

const AWS: &str = "AKIAIOSFODNN7EXAMPLE";

/// Every rule on, every list that gates a rule non-empty: every field any rule reads is read.
fn all_on() -> Value {
    json!({
        "envSecrets": {"secretKeyRef": "deny", "envFrom": "deny"},
        "references": {"action": "deny", "allowedSecrets": ["ok"], "secretVolumes": "deny"},
        "plaintext": {"action": "deny", "configMaps": "deny"},
        "volumes": {"mode": "deny", "readOnly": "deny", "subPath": "deny"},
        "serviceAccountToken": {"automount": "deny", "requireExplicitFalse": "deny", "tokenPathMount": "deny"},
        "serviceAccounts": {"automount": "deny", "secrets": "deny"},
        "secrets": {"types": "deny", "dockerConfig": "deny", "immutable": "deny", "metadata": "deny",
                    "requiredLabels": [{"key": "team"}]},
        "imagePullSecrets": {"action": "deny"},
    })
}

fn all_off() -> Value {
    json!({
        "envSecrets": {"secretKeyRef": "off", "envFrom": "off"},
        "references": {"action": "off", "secretVolumes": "off"},
        "plaintext": {"action": "off", "configMaps": "off"},
        "volumes": {"mode": "off", "readOnly": "off", "subPath": "off"},
        "serviceAccountToken": {"automount": "off", "requireExplicitFalse": "off", "tokenPathMount": "off"},
        "serviceAccounts": {"automount": "off", "secrets": "off"},
        "secrets": {"types": "off", "dockerConfig": "off", "immutable": "off", "metadata": "off"},
        "imagePullSecrets": {"action": "off"},
    })
}

fn pod_with(container: Value) -> Value {
    request(
        "",
        "Pod",
        "CREATE",
        pod(json!({"automountServiceAccountToken": false, "containers": [container]})),
    )
}

#[test]
fn env_as_a_map_holding_a_key_is_denied_without_quoting_it() {
    let r = run(
        pod_with(json!({"name": "app", "image": "nginx", "env": {"AWS_ACCESS_KEY_ID": AWS}})),
        json!({}),
    );
    assert_eq!(r["accepted"], false);
    assert_eq!(
        message(&r),
        "malformed request: /spec/containers/0/env must be a list"
    );
    // Read by secret-env (warn), plaintext (deny): the strictest wins.
    assert_eq!(
        r["audit_annotations"]["malformed"],
        "malformed request: /spec/containers/0/env must be a list"
    );
}

#[test]
fn a_field_is_malformed_only_for_the_rules_that_read_it() {
    let env_map = pod_with(json!({"name": "app", "env": {"A": "b"}}));
    let plain_off = json!({"plaintext": {"action": "off"}});
    let r = run(env_map.clone(), plain_off);
    assert_eq!(r["accepted"], true, "secret-env (warn) still reads env");
    assert_eq!(
        r["warnings"],
        json!(["malformed request: /spec/containers/0/env must be a list"])
    );
    let r = run(env_map, all_off());
    assert_eq!(r["accepted"], true);
    assert!(r["audit_annotations"].is_null(), "{r}");
}

#[test]
fn wrong_types_in_container_fields_are_denied() {
    for (container, path) in [
        (json!({"name": "a", "args": "--password=x"}), "/args"),
        (json!({"name": "a", "command": ["sh", 5]}), "/command/1"),
        (
            json!({"name": "a", "env": [{"name": "A", "value": 5}]}),
            "/env/0/value",
        ),
        (json!({"name": "a", "env": ["A=b"]}), "/env/0"),
        (
            json!({"name": "a", "envFrom": {"secretRef": {"name": "s"}}}),
            "/envFrom",
        ),
        (
            json!({"name": "a", "envFrom": [{"secretRef": "s"}]}),
            "/envFrom/0/secretRef",
        ),
        (
            json!({"name": "a", "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": 1}}}]}),
            "/env/0/valueFrom/secretKeyRef/name",
        ),
    ] {
        let r = run(pod_with(container.clone()), all_on());
        assert_eq!(r["accepted"], false, "{container}");
        assert!(
            message(&r).contains(&format!("/spec/containers/0{path} must be")),
            "{container}: {}",
            message(&r)
        );
    }
    let mounts = pod_with(json!({"name": "a", "volumeMounts": "x"}));
    assert_eq!(
        run(mounts.clone(), json!({}))["accepted"],
        true,
        "subPath warns"
    );
    assert_eq!(run(mounts, all_on())["accepted"], false);
    let volumes = request(
        "",
        "Pod",
        "CREATE",
        pod(
            json!({"automountServiceAccountToken": false, "containers": [{"name": "a"}],
                   "volumes": {"s": {"secret": {"secretName": "s"}}}}),
        ),
    );
    let r = run(volumes, json!({}));
    assert_eq!(
        message(&r),
        "malformed request: /spec/volumes must be a list"
    );
    let automount = request(
        "",
        "Pod",
        "CREATE",
        pod(json!({"automountServiceAccountToken": "true", "containers": [{"name": "a"}]})),
    );
    let r = run(automount, json!({}));
    assert_eq!(
        message(&r),
        "malformed request: /spec/automountServiceAccountToken must be a boolean"
    );
}

#[test]
fn config_maps_and_secrets_fail_closed() {
    let cm = |data: Value| {
        request(
            "",
            "ConfigMap",
            "CREATE",
            json!({"metadata": {"name": "cfg"}, "data": data}),
        )
    };
    let deny = json!({"plaintext": {"configMaps": "deny"}});
    let r = run(cm(json!({"port": 8080})), deny.clone());
    assert_eq!(
        message(&r),
        "malformed request: /data/port must be a string"
    );
    assert_eq!(run(cm(json!({"port": 8080})), json!({}))["accepted"], true);
    let r = run(cm(json!("x")), deny);
    assert_eq!(message(&r), "malformed request: /data must be an object");
    let secret = request(
        "",
        "Secret",
        "CREATE",
        json!({"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": 5}}),
    );
    let r = run(secret, json!({}));
    assert!(
        message(&r).starts_with("malformed request: /data/.dockerconfigjson must be a string"),
        "{r}"
    );
    let sa = request(
        "",
        "ServiceAccount",
        "CREATE",
        json!({"automountServiceAccountToken": false, "secrets": {"name": "t"}}),
    );
    let r = run(sa, json!({"serviceAccounts": {"secrets": "deny"}}));
    assert_eq!(message(&r), "malformed request: /secrets must be a list");
}

#[test]
fn binary_data_is_decoded_and_scanned() {
    let cm = |binary: Value| {
        request(
            "",
            "ConfigMap",
            "CREATE",
            json!({"metadata": {"name": "cfg"}, "binaryData": binary}),
        )
    };
    let deny = json!({"plaintext": {"configMaps": "deny"}});
    // "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
    let encoded = "YXdzX2FjY2Vzc19rZXlfaWQgPSBBS0lBSU9TRk9ETk43RVhBTVBMRQo=";
    let r = run(cm(json!({"credentials": encoded})), deny.clone());
    assert_eq!(
        message(&r),
        "ConfigMap 'cfg': binaryData key 'credentials' holds a plaintext credential (detector 'aws-access-key-id'); store it in a Secret"
    );
    let r = run(cm(json!({"logo.png": "iVBORw0KGgo="})), deny.clone());
    assert_eq!(r["accepted"], true, "{r}");
    let r = run(cm(json!({"x": "not base64!"})), deny);
    assert_eq!(
        message(&r),
        "malformed request: /binaryData/x must be a base64-encoded string"
    );
}

#[test]
fn requests_the_api_server_never_sends_are_denied() {
    let mut r = pod_with(json!({"name": "a"}));
    r["operation"] = json!("PATCH");
    assert_eq!(run(r, json!({}))["accepted"], false);
    let mut r = pod_with(json!({"name": "a"}));
    r["object"] = Value::Null;
    assert_eq!(run(r, all_off())["accepted"], false);
}

/// Where a PodSpec sits in every workload kind.
fn workload(kind: &str, spec: Value) -> Value {
    let (group, object) = match kind {
        "Pod" => ("", json!({"spec": spec})),
        "PodTemplate" => ("", json!({"template": {"spec": spec}})),
        "CronJob" => (
            "batch",
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
        ),
        "Job" => ("batch", json!({"spec": {"template": {"spec": spec}}})),
        "ReplicationController" => ("", json!({"spec": {"template": {"spec": spec}}})),
        _ => ("apps", json!({"spec": {"template": {"spec": spec}}})),
    };
    request(group, kind, "CREATE", object)
}

const KINDS: [&str; 9] = [
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "PodTemplate",
];

/// Paths inside a PodSpec that some rule reads, with a well-typed PodSpec holding them all.
fn full_spec() -> Value {
    let c = json!({"name": "c", "image": "nginx",
        "env": [{"name": "A", "value": "b"}, {"name": "S", "valueFrom": {"secretKeyRef": {"name": "ok", "key": "k"}}}],
        "envFrom": [{"secretRef": {"name": "ok"}}],
        "command": ["sh"], "args": ["-c", "true"],
        "volumeMounts": [{"name": "s", "mountPath": "/s", "readOnly": true, "subPath": "x"}]});
    json!({"automountServiceAccountToken": false,
    "containers": [c.clone()], "initContainers": [c.clone()], "ephemeralContainers": [c],
    "imagePullSecrets": [{"name": "ok"}],
    "volumes": [
        {"name": "s", "secret": {"secretName": "ok", "defaultMode": 256, "items": [{"key": "k", "path": "p", "mode": 256}]}},
        {"name": "p", "projected": {"defaultMode": 256, "sources": [{"secret": {"name": "ok", "items": [{"key": "k", "path": "p", "mode": 256}]}}]}}
    ]})
}

const READ_PATHS: [&str; 31] = [
    "/containers",
    "/initContainers",
    "/ephemeralContainers",
    "/containers/0",
    "/containers/0/env",
    "/initContainers/0/env/0",
    "/containers/0/env/0/name",
    "/containers/0/env/0/value",
    "/ephemeralContainers/0/env/1/valueFrom",
    "/containers/0/env/1/valueFrom/secretKeyRef",
    "/containers/0/env/1/valueFrom/secretKeyRef/name",
    "/containers/0/envFrom",
    "/containers/0/envFrom/0/secretRef",
    "/containers/0/envFrom/0/secretRef/name",
    "/containers/0/command",
    "/initContainers/0/args/1",
    "/containers/0/volumeMounts",
    "/containers/0/volumeMounts/0/name",
    "/containers/0/volumeMounts/0/mountPath",
    "/containers/0/volumeMounts/0/readOnly",
    "/containers/0/image",
    "/imagePullSecrets",
    "/imagePullSecrets/0/name",
    "/automountServiceAccountToken",
    "/volumes",
    "/volumes/0/secret",
    "/volumes/0/secret/defaultMode",
    "/volumes/0/secret/items/0/mode",
    "/volumes/1/projected/sources",
    "/volumes/1/projected/sources/0/secret/name",
    "/volumes/1/projected/defaultMode",
];

fn wrong_for(current: &Value) -> Vec<Value> {
    let all = [
        json!(7),
        json!(-1),
        json!("x"),
        json!(true),
        json!([1]),
        json!({"k": 1}),
    ];
    all.into_iter()
        .filter(|v| std::mem::discriminant(v) != std::mem::discriminant(current))
        .collect()
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9_ /=-]{0,24}".prop_map(Value::from),
        Just(json!(AWS)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-z]{1,8}".boxed(),
                    prop::sample::select(vec![
                        "spec",
                        "containers",
                        "env",
                        "envFrom",
                        "args",
                        "volumes",
                        "data",
                        "binaryData",
                        "secret",
                        "template",
                        "name",
                        "value",
                        "type",
                    ])
                    .prop_map(String::from)
                    .boxed(),
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_panic_on_any_object(
        kind in prop::sample::select(KINDS.iter().copied().chain(["Secret", "ConfigMap", "ServiceAccount"]).collect::<Vec<_>>()),
        op in prop::sample::select(vec!["CREATE", "UPDATE", "DELETE", "CONNECT"]),
        object in arbitrary_json(),
        on in any::<bool>(),
    ) {
        let group = match kind { "Job" | "CronJob" => "batch", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps", _ => "" };
        let object = if object.is_object() { object } else { json!({"spec": object}) };
        run(request(group, kind, op, object), if on { all_on() } else { json!({}) });
    }

    #[test]
    fn a_wrong_type_at_any_read_path_is_never_allowed(
        kind in prop::sample::select(KINDS.to_vec()),
        path in prop::sample::select(READ_PATHS.to_vec()),
        pick in any::<prop::sample::Index>(),
    ) {
        let mut spec = full_spec();
        let current = spec.pointer(path).cloned().unwrap();
        let wrong = wrong_for(&current);
        *spec.pointer_mut(path).unwrap() = pick.get(&wrong).clone();
        let r = run(workload(kind, spec), all_on());
        prop_assert_eq!(&r["accepted"], &json!(false), "{} {}: {}", kind, path, r);
    }

    #[test]
    fn an_aws_key_in_any_container_list_is_denied(
        kind in prop::sample::select(KINDS.to_vec()),
        list in prop::sample::select(vec!["containers", "initContainers", "ephemeralContainers"]),
        at in 0usize..3,
        var in "[A-Z][A-Z_]{0,12}",
    ) {
        let mut containers: Vec<Value> = (0..3).map(|i| json!({"name": format!("c{i}"), "image": "nginx"})).collect();
        containers[at]["env"] = json!([{"name": "LOG_LEVEL", "value": "info"}, {"name": var, "value": AWS}]);
        let mut spec = json!({"automountServiceAccountToken": false, "containers": [{"name": "main", "image": "nginx"}]});
        spec[list] = Value::from(containers);
        let r = run(workload(kind, spec), json!({}));
        prop_assert_eq!(&r["accepted"], &json!(false));
        prop_assert!(message(&r).contains("detector 'aws-access-key-id'"), "{}", message(&r));
    }

    #[test]
    fn the_mutation_is_complete_minimal_and_keeps_unknown_fields(
        kind in prop::sample::select(KINDS.to_vec()),
        volumes in prop::collection::vec((0u8..4, any::<bool>()), 0..4),
        automount in prop::option::of(any::<bool>()),
        extra in "[a-z]{1,8}",
    ) {
        let vols: Vec<Value> = volumes.iter().enumerate().map(|(i, (what, moded))| {
            let mut source = match what {
                0 => json!({"secret": {"secretName": "s"}}),
                1 => json!({"projected": {"sources": [{"secret": {"name": "s"}}]}}),
                2 => json!({"projected": {"sources": [{"configMap": {"name": "c"}}]}}),
                _ => json!({"configMap": {"name": "c"}}),
            };
            if *moded {
                let field = if *what == 1 || *what == 2 { "projected" } else if *what == 0 { "secret" } else { "configMap" };
                source[field]["defaultMode"] = json!(256);
            }
            source["name"] = json!(format!("v{i}"));
            source["x-unknown"] = json!({"keep": i});
            source
        }).collect();
        let mut spec = json!({"containers": [{"name": "c", "image": "nginx", "x-unknown": extra.clone()}], "volumes": vols});
        spec[extra.as_str()] = json!({"nested": [1, 2]});
        if let Some(a) = automount { spec["automountServiceAccountToken"] = json!(a); }
        let settings = json!({"mutation": {"enabled": true}, "serviceAccountToken": {"automount": "warn"}});
        let req = workload(kind, spec);
        let r = run(req.clone(), settings.clone());
        prop_assert_eq!(&r["accepted"], &json!(true), "{}", r);
        let original = &req["object"];
        let Some(mutated) = r.get("mutated_object").filter(|m| !m.is_null()) else {
            return Ok(());
        };
        // Applied, the mutation needs no further mutation.
        let mut again = req.clone();
        again["object"] = mutated.clone();
        let r2 = run(again, settings);
        prop_assert!(r2.get("mutated_object").is_none_or(Value::is_null), "{}", r2);
        // It touches only its own paths: removing them gives the original back.
        let mut stripped = mutated.clone();
        let spec_pointer = match kind {
            "Pod" => "/spec", "PodTemplate" => "/template/spec",
            "CronJob" => "/spec/jobTemplate/spec/template/spec", _ => "/spec/template/spec",
        };
        let spec = stripped.pointer_mut(spec_pointer).unwrap();
        if original.pointer(&format!("{spec_pointer}/automountServiceAccountToken")).is_none() {
            spec.as_object_mut().unwrap().remove("automountServiceAccountToken");
        }
        for (i, (what, moded)) in volumes.iter().enumerate() {
            let field = match what { 0 => "secret", 1 => "projected", _ => continue };
            if !moded {
                spec["volumes"][i][field].as_object_mut().unwrap().remove("defaultMode");
            }
        }
        prop_assert_eq!(&stripped, original);
    }
}

#[test]
fn the_mutation_property_sees_mutations() {
    // The property above reads `mutated_object`; make sure a mutation is returned there.
    let req = workload(
        "Deployment",
        json!({"containers": [{"name": "c"}], "volumes": [{"name": "s", "secret": {"secretName": "s"}}]}),
    );
    let r = run(req, json!({"mutation": {"enabled": true}}));
    assert_eq!(
        r["mutated_object"]["spec"]["template"]["spec"]["volumes"][0]["secret"]["defaultMode"],
        json!(288),
        "{r}"
    );
}
