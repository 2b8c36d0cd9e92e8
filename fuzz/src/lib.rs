//! What the fuzz targets share: the checks every `validate` response must pass.
//!
//! Natively, the waPC imports come from kubewarden-policy-sdk's `non_wasm` stubs: every host
//! call fails with an empty error (as a host without capabilities), so image-provenance and
//! rbac-least-privilege must still answer, failing closed.

use serde_json::Value;

/// Credentials the fixtures and suites plant (`plantedSecrets` of the hostile suites).
pub const PLANTED: [&str; 4] = [
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234",
    "AKIAIOSFODNN7EXAMPLE",
    "Zq9xPw7mLk3vRt5s",
];

/// The checks on one `validate` answer to `payload`:
/// - the call returns a response (a guest error is what kwctl reports as a failed call);
/// - the response is a JSON object with a boolean `accepted`, and a rejection carries a message;
/// - a planted credential found in the payload's `request` (and not in its `settings`) appears in
///   no message, warning or audit annotation (the mutated object may carry it: it is the object).
pub fn check_validate(payload: &[u8], result: policy_common::policy::CallResult) {
    let bytes = match result {
        Ok(bytes) => bytes,
        Err(e) => panic!("validate returned a guest error: {e}"),
    };
    let response: Value = serde_json::from_slice(&bytes).expect("the response is JSON");
    let accepted = response
        .get("accepted")
        .and_then(Value::as_bool)
        .expect("the response has a boolean `accepted`");
    if !accepted {
        let message = response.get("message").and_then(Value::as_str);
        assert!(
            message.is_some_and(|m| !m.is_empty()),
            "a rejection without a message: {response}"
        );
    }
    let Ok(input) = serde_json::from_slice::<Value>(payload) else {
        return;
    };
    let request = input
        .get("request")
        .map(Value::to_string)
        .unwrap_or_default();
    let settings = input
        .get("settings")
        .map(Value::to_string)
        .unwrap_or_default();
    let mut shown = String::new();
    for key in [
        "message",
        "warnings",
        "auditAnnotations",
        "audit_annotations",
    ] {
        if let Some(v) = response.get(key) {
            shown.push_str(&v.to_string());
        }
    }
    for secret in PLANTED {
        if request.contains(secret) && !settings.contains(secret) {
            assert!(
                !shown.contains(secret),
                "planted {secret:?} quoted in the response: {shown}"
            );
        }
    }
}
