//! End-to-end tests of `validate` on whole requests.

use super::validate;
use serde_json::{Value, json};

/// Values planted in the requests below; no output may contain any 8-character piece of them.
const PLANTED: [&str; 8] = [
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_R4nd0mT0k3nV4lu3W1thThirtySixChars12",
    "Tr0ub4dor&3xq",
    "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
    "Xk29vLpq7",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
];

fn request(group: &str, kind: &str, op: &str, object: Value) -> Value {
    json!({
        "uid": "1",
        "kind": {"group": group, "version": "v1", "kind": kind},
        "resource": {"group": group, "version": "v1", "resource": kind.to_lowercase() + "s"},
        "operation": op,
        "namespace": "default",
        "userInfo": {"username": "alice", "groups": ["dev"]},
        "object": if op == "DELETE" { Value::Null } else { object.clone() },
        "oldObject": if op == "CREATE" { Value::Null } else { object },
    })
}

fn run(request: Value, settings: Value) -> Value {
    let payload = json!({"request": request, "settings": settings}).to_string();
    let out = validate(payload.as_bytes()).expect("validate never errors");
    let response: Value = serde_json::from_slice(&out).unwrap();
    assert_no_leak(&response.to_string());
    response
}

fn assert_no_leak(text: &str) {
    // JSON escapes '/', '&' and newlines differently; check the raw and the escaped form.
    for secret in PLANTED {
        let chars: Vec<char> = secret.chars().collect();
        for w in chars.windows(8) {
            let piece: String = w.iter().collect();
            let escaped = serde_json::to_string(&piece).unwrap();
            let escaped = escaped.trim_matches('"');
            assert!(
                !text.contains(&piece) && !text.contains(escaped),
                "output leaks a piece of a planted secret: {piece:?}"
            );
        }
    }
}

fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"}, "spec": spec})
}

fn message(r: &Value) -> &str {
    r["message"].as_str().unwrap_or("")
}

fn warnings(r: &Value) -> String {
    r["warnings"].to_string()
}

#[test]
fn planted_secrets_never_reach_any_output() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "containers": [{
            "name": "app", "image": "nginx",
            "env": [
                {"name": "AWS_ACCESS_KEY_ID", "value": PLANTED[0]},
                {"name": "AWS_SECRET_ACCESS_KEY", "value": PLANTED[1]},
                {"name": "GH", "value": PLANTED[2]},
                {"name": "DB_PASSWORD", "value": PLANTED[3]},
                {"name": "SLACK", "value": PLANTED[4]},
                {"name": "DATABASE_URL", "value": format!("postgres://app:{}@db/app", PLANTED[5])},
                {"name": "KEY", "value": PLANTED[6]},
                {"name": "SESSION", "value": PLANTED[7]},
            ],
            "args": ["--password", PLANTED[3], format!("--github={}", PLANTED[2])]
        }],
        "initContainers": [{"name": "init", "image": "busybox", "command": ["sh", "-c", format!("export AWS_KEY={}", PLANTED[0])]}]
    });
    let r = run(
        request("", "Pod", "CREATE", pod(spec)),
        json!({"volumes": {"mode": "off"}}),
    );
    assert_eq!(r["accepted"], false);
    let m = message(&r);
    for expected in [
        "container 'app': env 'AWS_ACCESS_KEY_ID' (env[0]) holds a plaintext credential (detector 'aws-access-key-id')",
        "env 'AWS_SECRET_ACCESS_KEY' (env[1]) holds a plaintext credential (detector 'aws-secret-access-key')",
        "env 'GH' (env[2]) holds a plaintext credential (detector 'github-token')",
        "env 'DB_PASSWORD' (env[3]) holds a plaintext credential (detector 'sensitive-name')",
        "(detector 'slack-token')",
        "(detector 'url-credentials')",
        "(detector 'private-key')",
        "(detector 'jwt')",
        "container 'app': args[1] holds a plaintext credential (detector 'sensitive-name')",
        "container 'app': args[2] holds a plaintext credential (detector 'github-token')",
        "init container 'init': command[2] holds a plaintext credential (detector 'aws-access-key-id')",
    ] {
        assert!(m.contains(expected), "{expected} not in {m}");
    }
    assert!(r["audit_annotations"]["plaintext-credential"].is_string());
}

#[test]
fn false_positive_guards_pass() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "containers": [{
            "name": "app", "image": "nginx",
            "env": [
                {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"},
                {"name": "DB_PASSWORD", "value": "/run/secrets/db-password"},
                {"name": "API_TOKEN", "value": "changeme"},
                {"name": "API_TOKEN2", "value": "${API_TOKEN}"},
                {"name": "EMPTY_SECRET", "value": ""},
                {"name": "TOKEN_TTL", "value": "3600"},
                {"name": "FROM_REF", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "LOG_LEVEL", "value": "debug"},
                {"name": "URL", "value": "https://example.com/path?q=1"}
            ],
            "args": ["--password-file", "/run/secrets/pw", "--verbose"]
        }]
    });
    let r = run(request("", "Pod", "CREATE", pod(spec)), json!({}));
    assert_eq!(r["accepted"], true, "{r}");
    assert!(r["warnings"].is_null(), "{r}");
}

#[test]
fn env_secrets_warn_by_default_and_honour_the_allow_list() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "containers": [{"name": "app", "image": "nginx",
            "env": [{"name": "DB", "valueFrom": {"secretKeyRef": {"name": "db-creds", "key": "pw"}}}],
            "envFrom": [{"secretRef": {"name": "app-env"}}]}]
    });
    let r = run(request("", "Pod", "CREATE", pod(spec.clone())), json!({}));
    assert_eq!(r["accepted"], true);
    let w = warnings(&r);
    assert!(
        w.contains(
            "container 'app': env 'DB' (env[0]) reads Secret 'db-creds' through secretKeyRef"
        ),
        "{w}"
    );
    assert!(
        w.contains("container 'app': envFrom[0] loads Secret 'app-env' as environment"),
        "{w}"
    );
    let r = run(
        request("", "Pod", "CREATE", pod(spec.clone())),
        json!({"envSecrets": {"secretKeyRef": "deny", "envFrom": "off", "allowedSecrets": ["app-*"]}}),
    );
    assert_eq!(r["accepted"], false);
    assert!(message(&r).contains("'db-creds'"));
    let r = run(
        request("", "Pod", "CREATE", pod(spec)),
        json!({"envSecrets": {"secretKeyRef": "deny", "envFrom": "deny", "allowedSecrets": ["app-*", "db-creds"]}}),
    );
    assert_eq!(r["accepted"], true);
}

#[test]
fn secret_references_and_secret_volumes() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "imagePullSecrets": [{"name": "regcred"}],
        "containers": [{"name": "app", "image": "nginx",
            "volumeMounts": [{"name": "creds", "mountPath": "/etc/creds", "readOnly": true}]}],
        "volumes": [
            {"name": "creds", "secret": {"secretName": "other", "defaultMode": 256}},
            {"name": "proj", "projected": {"defaultMode": 256, "sources": [{"secret": {"name": "app-tls"}}]}}
        ]
    });
    let settings = json!({"references": {"allowedSecrets": ["app-*", "regcred"]}});
    let r = run(request("", "Pod", "CREATE", pod(spec.clone())), settings);
    assert_eq!(r["accepted"], false);
    assert_eq!(
        message(&r),
        "volume 'creds' (volumes[0]) references Secret 'other', which is not in references.allowedSecrets"
    );
    let r = run(
        request("", "Pod", "CREATE", pod(spec.clone())),
        json!({"references": {"secretVolumes": "deny"}}),
    );
    assert!(message(&r).contains(
        "volume 'proj' (volumes[1]) mounts Secret 'app-tls'; Secret volumes are not allowed"
    ));
    let r = run(request("", "Pod", "CREATE", pod(spec)), json!({}));
    assert_eq!(r["accepted"], true, "{r}");
}

#[test]
fn volume_modes_read_only_and_sub_path() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "containers": [{"name": "app", "image": "nginx", "volumeMounts": [
            {"name": "creds", "mountPath": "/etc/creds"},
            {"name": "creds", "mountPath": "/etc/app.key", "subPath": "key", "readOnly": true}
        ]}],
        "volumes": [
            {"name": "creds", "secret": {"secretName": "c", "items": [{"key": "k", "path": "k", "mode": 511}]}},
            {"name": "cm", "configMap": {"name": "x"}}
        ]
    });
    let r = run(
        request("", "Pod", "CREATE", pod(spec.clone())),
        json!({"volumes": {"readOnly": "deny"}}),
    );
    assert_eq!(r["accepted"], false);
    let m = message(&r);
    assert!(m.contains("volume 'creds' (volumes[0]): secret.defaultMode is unset (API default 0644) allows more than 0440"), "{m}");
    assert!(
        m.contains("volume 'creds' (volumes[0]): secret.items[0].mode 0777 allows more than 0440"),
        "{m}"
    );
    assert!(
        m.contains(
            "container 'app': volumeMounts[0] of secret volume 'creds' is not readOnly: true"
        ),
        "{m}"
    );
    assert!(warnings(&r).contains("volumeMounts[1] of secret volume 'creds' uses subPath"));
    let r = run(
        request("", "Pod", "CREATE", pod(spec)),
        json!({"volumes": {"maxMode": "0777"}}),
    );
    assert_eq!(r["accepted"], true, "{r}");
}

#[test]
fn service_account_tokens() {
    let mk = |automount: Value| {
        let mut spec = json!({"containers": [{"name": "app", "image": "nginx",
            "volumeMounts": [{"name": "t", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}]});
        if !automount.is_null() {
            spec["automountServiceAccountToken"] = automount;
        }
        pod(spec)
    };
    let r = run(request("", "Pod", "CREATE", mk(json!(true))), json!({}));
    assert!(message(&r).contains("automountServiceAccountToken is true"));
    let r = run(
        request("", "Pod", "UPDATE", mk(json!(true))),
        json!({"serviceAccountToken": {"skipUpdate": true}}),
    );
    assert_eq!(r["accepted"], true);
    let r = run(request("", "Pod", "CREATE", mk(Value::Null)), json!({}));
    assert_eq!(r["accepted"], true);
    let strict =
        json!({"serviceAccountToken": {"requireExplicitFalse": "deny", "tokenPathMount": "deny"}});
    let r = run(
        request("", "Pod", "CREATE", mk(Value::Null)),
        strict.clone(),
    );
    assert!(message(&r).contains("automountServiceAccountToken is not set"));
    assert!(message(&r).contains(
        "container 'app': volumeMounts[0] mounts a volume at the service-account token path"
    ));

    let sa = json!({"metadata": {"name": "builder"}, "secrets": [{"name": "builder-token"}]});
    let r = run(request("", "ServiceAccount", "CREATE", sa), json!({}));
    assert_eq!(r["accepted"], true);
    let w = warnings(&r);
    assert!(
        w.contains("ServiceAccount 'builder': automountServiceAccountToken is not false"),
        "{w}"
    );
    assert!(
        w.contains("ServiceAccount 'builder' lists 1 Secret(s) in .secrets"),
        "{w}"
    );
    let ok = json!({"metadata": {"name": "quiet"}, "automountServiceAccountToken": false});
    assert!(run(request("", "ServiceAccount", "CREATE", ok), json!({}))["warnings"].is_null());
}

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let n = chunk.iter().fold(0u32, |a, &b| a << 8 | b as u32) << (8 * (3 - chunk.len()));
        for k in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

#[test]
fn secret_objects() {
    let secret = |t: &str, data: Value| json!({"metadata": {"name": "s", "labels": {"backup": "daily"}}, "type": t, "data": data});
    let r = run(
        request(
            "",
            "Secret",
            "CREATE",
            secret("kubernetes.io/service-account-token", json!({})),
        ),
        json!({}),
    );
    assert_eq!(
        message(&r),
        "Secret 's': type 'kubernetes.io/service-account-token' is denied"
    );
    let r = run(
        request("", "Secret", "CREATE", secret("Opaque", json!({"a": "b"}))),
        json!({"secrets": {"allowedTypes": ["kubernetes.io/tls"]}}),
    );
    assert!(message(&r).contains("type 'Opaque' is not in secrets.allowedTypes"));

    let cfg = format!(
        r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}}}}}}"#,
        b64("user:Xk29vLpq7")
    );
    let good = secret(
        "kubernetes.io/dockerconfigjson",
        json!({".dockerconfigjson": b64(&cfg)}),
    );
    assert_eq!(
        run(request("", "Secret", "CREATE", good.clone()), json!({}))["accepted"],
        true
    );
    let r = run(
        request("", "Secret", "CREATE", good.clone()),
        json!({"secrets": {"allowedRegistries": ["ghcr.io"]}}),
    );
    assert!(
        message(&r).contains("registry 'index.docker.io' is not in secrets.allowedRegistries"),
        "{r}"
    );
    assert_eq!(
        run(
            request("", "Secret", "CREATE", good),
            json!({"secrets": {"allowedRegistries": ["docker.io"]}})
        )["accepted"],
        true
    );
    for (data, problem) in [
        (
            json!({".dockerconfigjson": b64("{\"x\": 1}")}),
            "has no 'auths' object",
        ),
        (
            json!({".dockerconfigjson": b64("not json Xk29vLpq7")}),
            "is not valid JSON",
        ),
        (json!({".dockerconfigjson": "***"}), "is not valid base64"),
        (json!({}), "is missing"),
    ] {
        let r = run(
            request(
                "",
                "Secret",
                "CREATE",
                secret("kubernetes.io/dockerconfigjson", data),
            ),
            json!({}),
        );
        assert!(message(&r).contains(problem), "{problem}: {r}");
    }
    let legacy = secret(
        "kubernetes.io/dockercfg",
        json!({".dockercfg": b64(r#"{"quay.io": {"auth": "eA=="}}"#)}),
    );
    assert_eq!(
        run(request("", "Secret", "CREATE", legacy), json!({}))["accepted"],
        true
    );

    let strict = json!({"secrets": {"immutable": "deny", "requiredLabels": [{"key": "backup", "pattern": "daily|weekly"}, {"key": "owner"}], "requiredAnnotations": [{"key": "team"}]}});
    let r = run(
        request("", "Secret", "UPDATE", secret("Opaque", json!({}))),
        strict,
    );
    let m = message(&r);
    assert!(m.contains("Secret 's' is not immutable: true"), "{m}");
    assert!(m.contains("required label 'owner' is missing"), "{m}");
    assert!(m.contains("required annotation 'team' is missing"), "{m}");
    assert!(!m.contains("'backup'"), "{m}");
    let r = run(
        request("", "Secret", "CREATE", secret("Opaque", json!({}))),
        json!({"secrets": {"requiredLabels": [{"key": "backup", "pattern": "weekly"}]}}),
    );
    assert!(message(&r).contains("label 'backup' does not match the pattern 'weekly'"));
}

#[test]
fn config_maps_are_scanned_when_enabled() {
    let cm = json!({"metadata": {"name": "cfg"}, "data": {
        "application.properties": format!("server.port=8080\nspring.datasource.password={}\n", PLANTED[3]),
        "ok": "just text"
    }});
    assert_eq!(
        run(request("", "ConfigMap", "CREATE", cm.clone()), json!({}))["accepted"],
        true
    );
    let r = run(
        request("", "ConfigMap", "CREATE", cm),
        json!({"plaintext": {"configMaps": "deny"}}),
    );
    assert_eq!(
        message(&r),
        "ConfigMap 'cfg': data key 'application.properties' holds a plaintext credential (detector 'sensitive-name'); store it in a Secret"
    );
}

#[test]
fn image_pull_secrets_for_private_registries() {
    let spec = json!({"automountServiceAccountToken": false, "containers": [
        {"name": "pub", "image": "nginx:1.25"},
        {"name": "priv", "image": "registry.corp.example/app:1"}
    ]});
    let settings = json!({"imagePullSecrets": {"action": "deny"}});
    let r = run(
        request("", "Pod", "CREATE", pod(spec.clone())),
        settings.clone(),
    );
    assert_eq!(
        message(&r),
        "container 'priv': image from private registry 'registry.corp.example' but the pod has no imagePullSecrets"
    );
    let mut with = spec;
    with["imagePullSecrets"] = json!([{"name": "regcred"}]);
    assert_eq!(
        run(request("", "Pod", "CREATE", pod(with)), settings)["accepted"],
        true
    );
}

#[test]
fn mutation_sets_only_missing_fields() {
    let spec = json!({"containers": [{"name": "app", "image": "nginx"}],
        "volumes": [{"name": "creds", "secret": {"secretName": "c"}}]});
    let deployment =
        json!({"metadata": {"name": "web"}, "spec": {"template": {"spec": spec.clone()}}});
    let r = run(
        request("apps", "Deployment", "CREATE", deployment.clone()),
        json!({}),
    );
    assert_eq!(r["accepted"], false, "unset defaultMode is too open");
    assert!(r["mutated_object"].is_null());
    let r = run(
        request("apps", "Deployment", "UPDATE", deployment.clone()),
        json!({"mutation": {"enabled": true}}),
    );
    assert_eq!(r["accepted"], true, "{r}");
    let mut expected = deployment;
    expected["spec"]["template"]["spec"]["volumes"][0]["secret"]["defaultMode"] = json!(288);
    expected["spec"]["template"]["spec"]["automountServiceAccountToken"] = json!(false);
    assert_eq!(r["mutated_object"], expected);
    // A Pod's spec cannot change on UPDATE.
    let r = run(
        request("", "Pod", "UPDATE", pod(spec)),
        json!({"mutation": {"enabled": true}, "volumes": {"mode": "off"}}),
    );
    assert!(r["mutated_object"].is_null());
}

#[test]
fn ephemeral_containers_delete_and_exemptions() {
    let spec = json!({
        "automountServiceAccountToken": true,
        "containers": [{"name": "app", "image": "nginx", "env": [{"name": "DB_PASSWORD", "value": PLANTED[3]}]}],
        "ephemeralContainers": [{"name": "debug", "image": "busybox", "env": [{"name": "GH", "value": PLANTED[2]}]}]
    });
    let mut req = request("", "Pod", "UPDATE", pod(spec.clone()));
    req["subResource"] = json!("ephemeralcontainers");
    let r = run(req, json!({}));
    assert_eq!(
        message(&r),
        "ephemeral container 'debug': env 'GH' (env[0]) holds a plaintext credential (detector 'github-token'); use a secretKeyRef or a mounted Secret"
    );
    assert_eq!(
        run(request("", "Pod", "DELETE", pod(spec.clone())), json!({}))["accepted"],
        true
    );
    for exemption in [
        json!({"namespaces": ["default"]}),
        json!({"names": ["we*"]}),
        json!({"users": ["alice"]}),
        json!({"groups": ["dev"]}),
    ] {
        let r = run(
            request("", "Pod", "CREATE", pod(spec.clone())),
            json!({"exemptions": exemption}),
        );
        assert_eq!(r["accepted"], true);
    }
}

#[test]
fn every_workload_kind_is_checked() {
    let spec = json!({"automountServiceAccountToken": false,
        "containers": [{"name": "app", "image": "nginx", "env": [{"name": "K", "value": PLANTED[0]}]}]});
    for (group, kind, object) in [
        (
            "apps",
            "Deployment",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "apps",
            "ReplicaSet",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "apps",
            "StatefulSet",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "apps",
            "DaemonSet",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "batch",
            "Job",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "batch",
            "CronJob",
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
        ),
        (
            "",
            "ReplicationController",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        ("", "PodTemplate", json!({"template": {"spec": spec}})),
    ] {
        let r = run(request(group, kind, "CREATE", object), json!({}));
        assert!(
            message(&r).contains("detector 'aws-access-key-id'"),
            "{kind}: {r}"
        );
    }
    // Unknown kinds and malformed objects are accepted without panicking.
    assert_eq!(
        run(
            request("example.com", "Deployment", "CREATE", json!({"spec": 5})),
            json!({})
        )["accepted"],
        true
    );
    assert_eq!(
        run(
            request(
                "",
                "Pod",
                "CREATE",
                json!({"spec": {"containers": "x", "volumes": [1, null]}})
            ),
            json!({})
        )["accepted"],
        true
    );
    assert_eq!(
        run(
            request("", "Secret", "CREATE", json!({"type": 5, "data": []})),
            json!({})
        )["accepted"],
        true
    );
}

#[test]
fn bad_settings_in_a_request_are_rejected_without_quoting_values() {
    let pod_request = request("", "Pod", "CREATE", pod(json!({"containers": []})));
    // Missing settings: the request itself is malformed.
    let payload = json!({ "request": pod_request.clone() }).to_string();
    let out: Value = serde_json::from_slice(&validate(payload.as_bytes()).unwrap()).unwrap();
    assert_eq!(out["accepted"], false);
    assert!(message(&out).contains("missing field `settings`"), "{out}");
    for (settings, want) in [
        (Value::Null, "settings: invalid type: null"),
        (
            json!({"plaintext": {"action": "block"}}),
            "plaintext.action: unknown variant `…`",
        ),
        (json!({"typo": 1}), "unknown field `typo`"),
        (
            json!({"plaintext": {"minLength": "Tr0ub4dor&3xq"}}),
            "plaintext.minLength: invalid type: string \"…\"",
        ),
    ] {
        let r = run(pod_request.clone(), settings);
        assert_eq!(r["accepted"], false);
        let m = message(&r);
        assert!(m.starts_with("cannot decode the validation request"), "{m}");
        assert!(m.contains(want), "{m} should contain {want}");
    }
}
