//! Hostile input through the whole decision: wrong types at every field a rule reads fail
//! closed, planted credentials never reach a response, and violations are found wherever they
//! are planted.

use crate::validate;
use proptest::prelude::*;
use serde_json::{Value, json};

const RBAC: &str = "rbac.authorization.k8s.io";
const PLANTED: [&str; 3] = [
    "ghp_R4nd0mT0k3nV4lu3W1thThirtySixChars12",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
];

fn request(group: &str, kind: &str, op: &str, name: &str, object: Value, old: Value) -> Value {
    json!({
        "uid": "1",
        "kind": {"group": group, "version": "v1", "kind": kind},
        "resource": {"group": group, "version": "v1", "resource": kind.to_lowercase() + "s"},
        "operation": op, "name": name, "namespace": "team-a",
        "userInfo": {"username": "alice", "groups": ["dev"]},
        "object": object, "oldObject": old,
    })
}

fn run(request: Value, settings: Value) -> Value {
    let payload = json!({"request": request, "settings": settings}).to_string();
    let out = validate(payload.as_bytes()).expect("validate never errors");
    let text = String::from_utf8(out).unwrap();
    for secret in PLANTED {
        for w in secret.as_bytes().windows(8) {
            let piece = std::str::from_utf8(w).unwrap();
            assert!(!text.contains(piece), "{piece:?} leaks in {text}");
        }
    }
    serde_json::from_str(&text).unwrap()
}

fn role(kind: &str, rules: Value) -> Value {
    let object = json!({"metadata": {"name": "r"}, "rules": rules});
    request(RBAC, kind, "CREATE", "r", object, Value::Null)
}

fn binding(kind: &str, role_ref: Value, subjects: Value) -> Value {
    let object = json!({"metadata": {"name": "b", "namespace": "team-a"}, "roleRef": role_ref, "subjects": subjects});
    request(RBAC, kind, "CREATE", "b", object, Value::Null)
}

fn message(r: &Value) -> &str {
    r["message"].as_str().unwrap_or("")
}

const HARMLESS: &str = r#"{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}"#;

fn harmless() -> Value {
    serde_json::from_str(HARMLESS).unwrap()
}

#[test]
fn wrong_types_in_rules_are_denied() {
    for (rules, path) in [
        (json!({"0": harmless()}), "/rules must be a list"),
        (
            json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": "*"}]),
            "/rules/0/verbs must be a list",
        ),
        (
            json!([{"apiGroups": [""], "resources": "secrets", "verbs": ["get"]}]),
            "/rules/0/resources must be a list",
        ),
        (json!([harmless(), "garbage"]), "/rules/1 must be an object"),
        (
            json!([{"apiGroups": [""], "resources": ["pods", 3], "verbs": ["get"]}]),
            "/rules/0/resources/1 must be a string",
        ),
    ] {
        for kind in ["Role", "ClusterRole"] {
            let r = run(role(kind, rules.clone()), json!({}));
            assert_eq!(r["accepted"], false, "{rules}");
            assert!(
                message(&r).contains(&format!("malformed request: {path}")),
                "{}",
                message(&r)
            );
        }
    }
    let off = json!({"wildcards": "off", "escalation": "off", "sensitive": "warn"});
    let r = run(role("Role", json!({"0": harmless()})), off);
    assert_eq!(r["accepted"], true, "read by sensitive (warn) only");
    assert_eq!(
        r["warnings"],
        json!(["malformed request: /rules must be a list"])
    );
    let all_off = json!({"wildcards": "off", "escalation": "off", "sensitive": "off"});
    let r = run(role("Role", json!({"0": harmless()})), all_off);
    assert!(
        r["audit_annotations"].is_null(),
        "rules off read nothing: {r}"
    );
}

#[test]
fn wrong_types_in_bindings_are_denied() {
    let role_ref = json!({"apiGroup": RBAC, "kind": "ClusterRole", "name": "reader"});
    let alice = json!([{"kind": "User", "name": "alice"}]);
    for (role_ref, subjects, path) in [
        (
            role_ref.clone(),
            json!({"kind": "User", "name": "alice"}),
            "/subjects must be a list",
        ),
        (
            role_ref.clone(),
            json!([{"kind": "Robot", "name": "r2"}]),
            "/subjects/0/kind must be one of User, Group or ServiceAccount",
        ),
        (
            role_ref.clone(),
            json!([{"kind": "User", "name": ["alice"]}]),
            "/subjects/0/name must be a string",
        ),
        (
            json!("cluster-admin"),
            alice.clone(),
            "/roleRef must be an object",
        ),
        (Value::Null, alice.clone(), "/roleRef must be an object"),
        (
            json!({"kind": "Role"}),
            alice.clone(),
            "/roleRef/name must be a non-empty string",
        ),
        (
            json!({"kind": 1, "name": "x"}),
            alice.clone(),
            "/roleRef/kind must be one of Role or ClusterRole",
        ),
    ] {
        for kind in ["RoleBinding", "ClusterRoleBinding"] {
            let r = run(binding(kind, role_ref.clone(), subjects.clone()), json!({}));
            assert_eq!(r["accepted"], false, "{kind} {subjects} {role_ref}");
            assert!(
                message(&r).contains(&format!("malformed request: {path}")),
                "{}",
                message(&r)
            );
        }
    }
}

#[test]
fn service_account_name_of_the_wrong_type_is_denied() {
    let d = |sa: Value| json!({"spec": {"template": {"spec": {"serviceAccountName": sa, "containers": []}}}});
    let r = run(
        request(
            "apps",
            "Deployment",
            "UPDATE",
            "web",
            d(json!(["admin"])),
            d(json!("web")),
        ),
        json!({}),
    );
    assert_eq!(
        message(&r),
        "malformed request: /spec/template/spec/serviceAccountName must be a string"
    );
    let r = run(
        request(
            "apps",
            "Deployment",
            "UPDATE",
            "web",
            d(json!("web")),
            json!({"spec": {"template": "x"}}),
        ),
        json!({}),
    );
    assert_eq!(
        message(&r),
        "malformed request: oldObject/spec/template must be an object"
    );
}

#[test]
fn requests_the_api_server_never_sends_are_denied() {
    let mut r = role("Role", json!([harmless()]));
    r["operation"] = json!("EXECUTE");
    assert_eq!(run(r, json!({}))["accepted"], false);
    let mut r = role("Role", json!([harmless()]));
    r["object"] = Value::Null;
    assert_eq!(run(r, json!({}))["accepted"], false);
}

#[test]
fn planted_secrets_in_quoted_fields_never_leak() {
    let [token, key, secret] = PLANTED;
    let rules = json!([{"apiGroups": [key], "resources": [token, "*"], "verbs": [secret, "*"], "resourceNames": [token]}]);
    let object = json!({"metadata": {"name": token}, "rules": rules});
    let r = run(
        request(RBAC, "ClusterRole", "CREATE", token, object, Value::Null),
        json!({}),
    );
    assert_eq!(r["accepted"], false);
    let subjects = json!([
        {"kind": "ServiceAccount", "name": "default", "namespace": key},
        {"kind": "User", "name": token},
        {"kind": "Group", "name": "system:masters"}
    ]);
    for role_name in ["cluster-admin", secret] {
        let b = binding(
            "RoleBinding",
            json!({"kind": "ClusterRole", "name": role_name}),
            subjects.clone(),
        );
        let mut b = b;
        b["name"] = json!(token);
        b["object"]["metadata"]["name"] = json!(token);
        let r = run(b, json!({"bindingExemptions": {"prefixes": ["x"]}}));
        assert_eq!(r["accepted"], false);
    }
    let d = |sa: &str| json!({"spec": {"template": {"spec": {"serviceAccountName": sa}}}});
    let r = run(
        request("apps", "Deployment", "UPDATE", token, d(key), d(secret)),
        json!({}),
    );
    assert_eq!(r["accepted"], false);
    let mut connect = request("", "Pod", "CONNECT", token, Value::Null, Value::Null);
    connect["subResource"] = json!("exec");
    connect["namespace"] = json!(format!("prod-{key}"));
    let r = run(connect, json!({"podConnectNamespaces": ["prod-*"]}));
    assert_eq!(r["accepted"], false);
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9_*:/-]{0,16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "rules",
                    "verbs",
                    "resources",
                    "apiGroups",
                    "resourceNames",
                    "nonResourceURLs",
                    "subjects",
                    "roleRef",
                    "kind",
                    "name",
                    "namespace",
                    "spec",
                    "template",
                    "serviceAccountName",
                    "metadata",
                    "labels",
                    "x",
                ])
                .prop_map(String::from),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const ROLE_PATHS: [&str; 8] = [
    "/rules",
    "/rules/1",
    "/rules/1/verbs",
    "/rules/1/resources",
    "/rules/0/apiGroups",
    "/rules/1/resourceNames",
    "/rules/0/nonResourceURLs",
    "/rules/1/verbs/0",
];
const BINDING_PATHS: [&str; 8] = [
    "/subjects",
    "/subjects/0",
    "/subjects/1/kind",
    "/subjects/0/name",
    "/subjects/1/namespace",
    "/roleRef",
    "/roleRef/kind",
    "/roleRef/name",
];

fn wrong_for(current: &Value) -> Vec<Value> {
    [
        json!(7),
        json!("x"),
        json!(true),
        json!([1]),
        json!({"k": 1}),
    ]
    .into_iter()
    .filter(|v| std::mem::discriminant(v) != std::mem::discriminant(current))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_panic_on_any_object(
        kind in prop::sample::select(vec!["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Deployment", "Pod"]),
        op in prop::sample::select(vec!["CREATE", "UPDATE", "DELETE", "CONNECT"]),
        object in arbitrary_json(),
        old in arbitrary_json(),
    ) {
        let group = match kind { "Deployment" => "apps", "Pod" => "", _ => RBAC };
        let object = if object.is_object() { object } else { json!({"rules": object}) };
        run(request(group, kind, op, "x", object, old), json!({"podConnectNamespaces": ["*"]}));
    }

    #[test]
    fn a_wrong_type_at_any_read_path_is_never_allowed(
        binding_kind in prop::sample::select(vec!["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]),
        at in any::<prop::sample::Index>(),
        pick in any::<prop::sample::Index>(),
    ) {
        let is_binding = binding_kind.ends_with("Binding");
        let mut object = if is_binding {
            json!({"metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "reader"},
                   "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "ci", "namespace": "team-a"}]})
        } else {
            json!({"metadata": {"name": "r"}, "rules": [
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "nonResourceURLs": []},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"], "resourceNames": ["a"]}]})
        };
        let path = *at.get(if is_binding { &BINDING_PATHS } else { &ROLE_PATHS });
        let current = object.pointer(path).cloned().unwrap();
        *object.pointer_mut(path).unwrap() = pick.get(&wrong_for(&current)).clone();
        let r = run(request(RBAC, binding_kind, "CREATE", "x", object, Value::Null), json!({}));
        prop_assert_eq!(&r["accepted"], &json!(false), "{} {}: {}", binding_kind, path, r);
    }

    #[test]
    fn a_wildcard_planted_at_any_rule_is_denied(
        kind in prop::sample::select(vec!["Role", "ClusterRole"]),
        count in 1usize..6,
        at in any::<prop::sample::Index>(),
        field in prop::sample::select(vec!["verbs", "resources", "apiGroups"]),
    ) {
        let mut rules: Vec<Value> = (0..count).map(|_| harmless()).collect();
        let i = at.index(count);
        rules[i][field] = json!(["*"]);
        let r = run(role(kind, Value::from(rules)), json!({}));
        prop_assert_eq!(&r["accepted"], &json!(false));
        let expected = format!("rules[{i}]: wildcard in {field} [*]");
        prop_assert!(message(&r).contains(&expected), "{}", message(&r));
    }

    #[test]
    fn a_service_account_change_in_any_controller_is_denied(
        kind in prop::sample::select(vec![
            ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet"),
            ("batch", "Job"), ("batch", "CronJob"), ("", "ReplicationController"), ("", "PodTemplate"),
        ]),
        before in "[a-z]{1,8}",
        after in "[a-z]{1,8}",
    ) {
        prop_assume!(before != after);
        let pointer = policy_common::WorkloadKind::from_kind(kind.1).unwrap().pod_spec_pointer();
        let at = |sa: &str| {
            let mut o = json!({});
            policy_common::json::set(&mut o, pointer, json!({"serviceAccountName": sa, "containers": []}));
            o
        };
        let r = run(request(kind.0, kind.1, "UPDATE", "w", at(&after), at(&before)), json!({}));
        prop_assert_eq!(&r["accepted"], &json!(false), "{:?}", r);
    }
}
