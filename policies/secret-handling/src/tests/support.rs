//! Requests, settings and assertions shared by the end-to-end tests.

use crate::validate;
use serde_json::{Value, json};

/// Values planted in the requests below; no output may contain any 8-character piece of them.
pub const PLANTED: [&str; 8] = [
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_R4nd0mT0k3nV4lu3W1thThirtySixChars12",
    "Tr0ub4dor&3xq",
    "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
    "Xk29vLpq7",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
];

pub fn request(group: &str, kind: &str, op: &str, object: Value) -> Value {
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

pub fn run(request: Value, settings: Value) -> Value {
    let payload = json!({"request": request, "settings": settings}).to_string();
    let out = validate(payload.as_bytes()).expect("validate never errors");
    let response: Value = serde_json::from_slice(&out).unwrap();
    assert_no_leak(&response.to_string());
    response
}

pub fn assert_no_leak(text: &str) {
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

pub fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"}, "spec": spec})
}

pub fn message(r: &Value) -> &str {
    r["message"].as_str().unwrap_or("")
}

pub fn warnings(r: &Value) -> String {
    r["warnings"].to_string()
}
