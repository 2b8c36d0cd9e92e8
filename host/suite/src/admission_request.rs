//! AdmissionRequest normalisation (docs/protocol.md §2.1): what the guest sees as `request`.

use k8s_openapi::api::authentication::v1::UserInfo;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{InputError, sort_keys};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupVersionResource {
    pub group: String,
    pub version: String,
    pub resource: String,
}

/// Kubewarden's `policy-evaluator`, `crates/policy-evaluator/src/admission_request.rs`: unknown fields dropped, `None` omitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub resource: GroupVersionResource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_kind: Option<GroupVersionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_resource: Option<GroupVersionResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_sub_resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub operation: String,
    pub user_info: UserInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_object: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
}

/// A normalised request: the sorted JSON value sent to the guest, plus the fields the
/// host needs afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalisedRequest {
    pub uid: String,
    /// `request.object`; absent (or null) on DELETE.
    pub object: Option<Value>,
    pub value: Value,
}

/// Accepts a full AdmissionReview (`kind: AdmissionReview`, uses `.request`) or a bare
/// AdmissionRequest; `origin` names the file in error messages.
pub fn normalise(document: Value, origin: &str) -> Result<NormalisedRequest, InputError> {
    let is_review = document.get("kind").and_then(Value::as_str) == Some("AdmissionReview");
    let request = if is_review {
        match document.get("request") {
            Some(request) if !request.is_null() => request.clone(),
            _ => {
                return Err(InputError::new(format!(
                    "cannot build AdmissionRequest object from {origin}: the AdmissionReview has no `request`"
                )));
            }
        }
    } else {
        document
    };
    let parsed: AdmissionRequest = serde_json::from_value(request).map_err(|e| {
        InputError::new(format!(
            "cannot build AdmissionRequest object from {origin}: {}",
            redact_quoted_values(&e.to_string())
        ))
    })?;
    let value = serde_json::to_value(&parsed)
        .map_err(|e| InputError::new(format!("cannot serialise request from {origin}: {e}")))?;
    Ok(NormalisedRequest {
        uid: parsed.uid,
        object: parsed.object,
        value: sort_keys(value),
    })
}

/// A serde message with every value it quotes (`"..."` or `` `...` ``, the request's values)
/// passed through `policy_common::redact::value`: URL user info dropped, credential shapes
/// masked, long values cut.
pub fn redact_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' && c != '`' {
            continue;
        }
        let mut quoted = String::new();
        let mut closed = false;
        while let Some(q) = chars.next() {
            if q == c {
                closed = true;
                break;
            }
            quoted.push(q);
            if c == '"' && q == '\\' {
                quoted.extend(chars.next());
            }
        }
        out.push_str(&policy_common::redact::value(&quoted));
        if closed {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bare() -> Value {
        json!({
            "uid": "u1",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "operation": "CREATE",
            "userInfo": {"username": "alice", "groups": ["g"]},
            "object": {"metadata": {"name": "p"}, "apiVersion": "v1"},
            "oldObject": null,
            "unknownField": 1,
            "dryRun": false
        })
    }

    #[test]
    fn bare_and_review_are_identical_and_sorted() {
        let from_bare = normalise(bare(), "bare.json").unwrap();
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": bare()});
        let from_review = normalise(review, "review.json").unwrap();
        assert_eq!(from_bare, from_review);
        assert_eq!(
            serde_json::to_string(&from_bare.value).unwrap(),
            r#"{"dryRun":false,"kind":{"group":"","kind":"Pod","version":"v1"},"object":{"apiVersion":"v1","metadata":{"name":"p"}},"operation":"CREATE","resource":{"group":"","resource":"pods","version":"v1"},"uid":"u1","userInfo":{"groups":["g"],"username":"alice"}}"#
        );
    }

    #[test]
    fn missing_field_names_file_and_field() {
        let mut request = bare();
        request.as_object_mut().unwrap().remove("userInfo");
        let error = normalise(request, "fixtures/pod.json").unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot build AdmissionRequest object from fixtures/pod.json: missing field `userInfo`"
        );
    }

    #[test]
    fn values_quoted_in_errors_are_redacted() {
        let token = "ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234";
        let mut request = bare();
        request["uid"] = json!(7);
        request["operation"] = json!(1);
        request["kind"]["kind"] = json!(false);
        request["name"] = json!(["x"]);
        request["userInfo"]["username"] = json!(["https://admin:hunter2@example.com", token]);
        let error = normalise(request.clone(), "x").unwrap_err().to_string();
        assert!(error.starts_with("cannot build AdmissionRequest object from x: "));
        request["uid"] = json!(token);
        request["kind"] = json!(format!("https://admin:hunter2@example.com/{token}"));
        let error = normalise(request, "x").unwrap_err().to_string();
        assert!(
            !error.contains("hunter2") && !error.contains("R2d2C3po"),
            "{error}"
        );
        assert!(error.contains("https://…@example."), "{error}");
        assert_eq!(
            redact_quoted_values(&format!(r#"invalid type: string "{token}", expected u8"#)),
            format!(
                r#"invalid type: string "{}", expected u8"#,
                policy_common::redact::value(token)
            )
        );
        assert_eq!(
            redact_quoted_values(r#"a "q\"uote" and `tick` and "unclosed"#),
            r#"a "q\"uote" and `tick` and "unclosed"#
        );
    }

    #[test]
    fn delete_has_no_object() {
        let mut request = bare();
        request["object"] = Value::Null;
        request["operation"] = json!("DELETE");
        assert_eq!(normalise(request, "x").unwrap().object, None);
    }
}
