//! Secret, ConfigMap and ServiceAccount objects, service-account tokens, and bad settings.

use super::support::*;
use crate::validate;
use serde_json::{Value, json};

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
