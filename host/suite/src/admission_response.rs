//! ValidationResponse -> AdmissionResponse (docs/protocol.md §2.5) and the policy-server's
//! `AdmissionResponseHandler` post-processing.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a guest's `validate` returns (SDK `ValidationResponse`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ValidationResponse {
    pub accepted: bool,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default)]
    pub mutated_object: Option<Value>,
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

/// Kubewarden's `policy-evaluator` `AdmissionResponse` (`crates/policy-evaluator/src/admission_response.rs`); field order is the serialisation order.
///
/// `auditAnnotations` is a `BTreeMap` (upstream: `HashMap`) so output is deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

pub const DELETE_MUTATION_MESSAGE: &str = "Incoming object is null, which happens only with DELETE operations, but the policy is attempting a mutation. This is not allowed";
pub const TIMEOUT_MESSAGE: &str =
    "Policy execution interrupted because it exceeded the allowed execution time";

impl AdmissionResponse {
    /// `allowed:false` with `status{message, code}`.
    pub fn reject(uid: &str, message: impl Into<String>, code: Option<u16>) -> Self {
        Self {
            uid: uid.to_owned(),
            allowed: false,
            patch_type: None,
            patch: None,
            status: Some(Status {
                message: Some(message.into()),
                code,
            }),
            audit_annotations: None,
            warnings: None,
        }
    }

    /// Error paths of docs/protocol.md §2.5 item 6: `internal server error: <err>`, code 500.
    pub fn internal_error(uid: &str, error: &str) -> Self {
        Self::reject(uid, format!("internal server error: {error}"), Some(500))
    }

    /// docs/protocol.md §2.5 item 7: the epoch deadline interrupted the guest.
    pub fn timeout(uid: &str) -> Self {
        Self::reject(uid, TIMEOUT_MESSAGE, Some(500))
    }

    /// `from_policy_validation_response`: `request_object` is `request.object`.
    pub fn from_validation(
        uid: &str,
        request_object: Option<&Value>,
        response: ValidationResponse,
    ) -> Self {
        let patch = match (&response.mutated_object, request_object) {
            (Some(_), None) => return Self::reject(uid, DELETE_MUTATION_MESSAGE, None),
            (Some(mutated), Some(original)) => {
                let diff = json_patch::diff(original, mutated);
                if diff.0.is_empty() {
                    None
                } else {
                    let json =
                        serde_json::to_string(&diff).expect("a JSON patch always serialises");
                    Some(base64::engine::general_purpose::STANDARD.encode(json))
                }
            }
            (None, _) => None,
        };
        let status = (response.message.is_some() || response.code.is_some()).then_some(Status {
            message: response.message,
            code: response.code,
        });
        Self {
            uid: uid.to_owned(),
            allowed: response.accepted,
            patch_type: patch.as_ref().map(|_| "JSONPatch".to_owned()),
            patch,
            status,
            audit_annotations: response.audit_annotations,
            warnings: response.warnings,
        }
    }

    /// Parses the guest's `validate` output; invalid JSON is an internal error.
    pub fn from_guest_output(uid: &str, request_object: Option<&Value>, output: &[u8]) -> Self {
        match serde_json::from_slice::<ValidationResponse>(output) {
            Ok(response) => Self::from_validation(uid, request_object, response),
            Err(error) => Self::internal_error(
                uid,
                &format!("cannot deserialize policy validation response: {error}"),
            ),
        }
    }

    /// The decoded JSON Patch, if any.
    pub fn decoded_patch(&self) -> Option<Result<Value, PatchError>> {
        self.patch.as_ref().map(|patch| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(patch)
                .map_err(|reason| PatchError::Base64 { reason })?;
            serde_json::from_slice(&bytes).map_err(|reason| PatchError::Json { reason })
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an AdmissionResponse always serialises")
    }
}

/// Why a response's `patch` cannot be decoded; the caller says it is the patch.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("{reason}")]
    Base64 { reason: base64::DecodeError },
    #[error("{reason}")]
    Json { reason: serde_json::Error },
}

/// `policyMode` of a policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PolicyMode {
    #[default]
    Protect,
    Monitor,
}

/// `AdmissionResponseHandler`, in order: monitor mode, then the mutation refusal.
pub fn post_process(
    mut response: AdmissionResponse,
    policy_id: &str,
    mode: PolicyMode,
    allowed_to_mutate: bool,
) -> AdmissionResponse {
    match mode {
        PolicyMode::Monitor => {
            response.allowed = true;
            response.patch = None;
            response.patch_type = None;
            response.status = None;
        }
        PolicyMode::Protect if !allowed_to_mutate && response.patch.is_some() => {
            response.allowed = false;
            response.patch = None;
            response.patch_type = None;
            response.status = Some(Status {
                message: Some(format!(
                    "Request rejected by policy {policy_id}. The policy attempted to mutate the request, but it is currently configured to not allow mutations."
                )),
                code: None,
            });
        }
        PolicyMode::Protect => {}
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn validation(value: Value) -> ValidationResponse {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn accepted_has_no_status() {
        let r = AdmissionResponse::from_validation(
            "u",
            Some(&json!({})),
            validation(json!({"accepted": true})),
        );
        assert_eq!(
            r.to_json(),
            r#"{"uid":"u","allowed":true,"auditAnnotations":null,"warnings":null}"#
        );
    }

    #[test]
    fn rejection_with_everything() {
        let v = validation(json!({
            "accepted": false, "message": "no", "code": 403, "mutated_object": null,
            "audit_annotations": {"b": "2", "a": "1"}, "warnings": ["w"]
        }));
        let r = AdmissionResponse::from_validation("u", Some(&json!({})), v);
        assert_eq!(
            r.to_json(),
            r#"{"uid":"u","allowed":false,"status":{"message":"no","code":403},"auditAnnotations":{"a":"1","b":"2"},"warnings":["w"]}"#
        );
    }

    #[test]
    fn mutation_becomes_a_base64_json_patch() {
        let original = json!({"spec": {"a": 1}});
        let v =
            validation(json!({"accepted": true, "mutated_object": {"spec": {"a": 1, "b": false}}}));
        let r = AdmissionResponse::from_validation("u", Some(&original), v);
        // base64 of [{"op":"add","path":"/spec/b","value":false}]
        assert_eq!(
            r.to_json(),
            r#"{"uid":"u","allowed":true,"patchType":"JSONPatch","patch":"W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvYiIsInZhbHVlIjpmYWxzZX1d","auditAnnotations":null,"warnings":null}"#
        );
        assert_eq!(
            r.decoded_patch().unwrap().unwrap(),
            json!([{"op": "add", "path": "/spec/b", "value": false}])
        );
        let same = validation(json!({"accepted": true, "mutated_object": original.clone()}));
        assert_eq!(
            AdmissionResponse::from_validation("u", Some(&original), same).patch,
            None
        );
    }

    #[test]
    fn delete_mutation_is_refused() {
        let v = validation(json!({"accepted": true, "mutated_object": {}}));
        assert_eq!(
            AdmissionResponse::from_validation("u", None, v).to_json(),
            format!(
                r#"{{"uid":"u","allowed":false,"status":{{"message":"{DELETE_MUTATION_MESSAGE}"}},"auditAnnotations":null,"warnings":null}}"#
            )
        );
    }

    #[test]
    fn error_paths() {
        assert_eq!(
            AdmissionResponse::internal_error("u", "Guest call failure: boom").to_json(),
            r#"{"uid":"u","allowed":false,"status":{"message":"internal server error: Guest call failure: boom","code":500},"auditAnnotations":null,"warnings":null}"#
        );
        assert_eq!(
            AdmissionResponse::timeout("u").to_json(),
            r#"{"uid":"u","allowed":false,"status":{"message":"Policy execution interrupted because it exceeded the allowed execution time","code":500},"auditAnnotations":null,"warnings":null}"#
        );
        let garbage = AdmissionResponse::from_guest_output("u", None, b"not json");
        assert_eq!(garbage.status.as_ref().unwrap().code, Some(500));
    }

    #[test]
    fn modes() {
        let original = json!({});
        let mutate = validation(json!({"accepted": true, "mutated_object": {"a": 1}}));
        let mutated = AdmissionResponse::from_validation("u", Some(&original), mutate);
        let refused = post_process(
            mutated.clone(),
            "policy-from-cli",
            PolicyMode::Protect,
            false,
        );
        assert_eq!(
            refused.to_json(),
            r#"{"uid":"u","allowed":false,"status":{"message":"Request rejected by policy policy-from-cli. The policy attempted to mutate the request, but it is currently configured to not allow mutations."},"auditAnnotations":null,"warnings":null}"#
        );
        assert_eq!(
            post_process(mutated.clone(), "p", PolicyMode::Protect, true),
            mutated
        );
        let rejected = AdmissionResponse::reject("u", "no", Some(403));
        assert_eq!(
            post_process(rejected, "p", PolicyMode::Monitor, true).to_json(),
            r#"{"uid":"u","allowed":true,"auditAnnotations":null,"warnings":null}"#
        );
    }
}
