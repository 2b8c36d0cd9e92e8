//! Reading the admission request the policy was given.

use kubewarden_policy_sdk::request::{KubernetesAdmissionRequest, ValidationRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::shape::Malformed;

/// Decodes the `validate` payload. Unlike `ValidationRequest::new`, the error never echoes the
/// payload: it may hold Secret data.
///
/// The settings are first read as a `Value`, then parsed by the same code `validate_settings`
/// uses ([`crate::settings::parse`]): deserialising `T` from two deserializer types would ship
/// every settings struct's serde code twice (about 50 KB of wasm for a large settings tree).
/// Why a `validate` payload cannot be read: the message the policy rejects the request with
/// (never quoting a value from the payload).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

impl From<DecodeError> for String {
    fn from(error: DecodeError) -> Self {
        error.0
    }
}

pub fn decode<T: Default + DeserializeOwned>(
    payload: &[u8],
) -> Result<ValidationRequest<T>, DecodeError> {
    let raw: ValidationRequest<Value> = serde_json::from_slice(payload).map_err(|e| {
        DecodeError(format!(
            "cannot decode the validation request at line {} column {}: {}",
            e.line(),
            e.column(),
            crate::settings::describe_serde_error(&e)
        ))
    })?;
    let settings_json =
        serde_json::to_vec(&raw.settings).map_err(|e| DecodeError(e.to_string()))?;
    let settings = crate::settings::parse::<T>(&settings_json).map_err(|e| {
        DecodeError(format!(
            "cannot decode the validation request: {}",
            crate::redact::quoted_in(&e.0)
        ))
    })?;
    Ok(ValidationRequest {
        settings,
        request: raw.request,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
    Other,
}

/// A borrowed view over the SDK's request with the questions every policy asks.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub raw: &'a KubernetesAdmissionRequest,
}

impl<'a> Request<'a> {
    pub fn new(raw: &'a KubernetesAdmissionRequest) -> Self {
        Request { raw }
    }

    pub fn operation(&self) -> Operation {
        match self.raw.operation.as_str() {
            "CREATE" => Operation::Create,
            "UPDATE" => Operation::Update,
            "DELETE" => Operation::Delete,
            "CONNECT" => Operation::Connect,
            _ => Operation::Other,
        }
    }

    /// What every policy rejects before its settings are read: a request the API server never
    /// sends. `None` for a well-formed request.
    pub fn problem(&self) -> Option<Malformed> {
        let operation = self.operation();
        if operation == Operation::Other {
            return Some(Malformed::new(
                "operation",
                "one of CREATE, UPDATE, DELETE or CONNECT",
            ));
        }
        if self.kind().is_empty() {
            return Some(Malformed::new("kind.kind", "a non-empty string"));
        }
        let raw = self.raw;
        if matches!(operation, Operation::Create | Operation::Update) && !raw.object.is_object() {
            return Some(Malformed::new("object", "an object on CREATE and UPDATE"));
        }
        if !(raw.old_object.is_null() || raw.old_object.is_object()) {
            return Some(Malformed::new("oldObject", "an object or null"));
        }
        None
    }

    /// The request is on the object itself or on `pods/ephemeralcontainers`, the one
    /// subresource that carries a PodSpec it may change. Every other subresource (a kubelet's
    /// `status`, `binding`, `eviction`, `resize`, `scale`, ...) cannot change what the policies
    /// judge, so it is not judged again.
    pub fn can_change_spec(&self) -> bool {
        matches!(self.sub_resource(), "" | "ephemeralcontainers")
    }

    /// CREATE and UPDATE are judged on the new object; DELETE and CONNECT are not judged.
    pub fn is_create_or_update(&self) -> bool {
        matches!(self.operation(), Operation::Create | Operation::Update)
    }

    pub fn kind(&self) -> &'a str {
        &self.raw.kind.kind
    }

    pub fn group(&self) -> &'a str {
        &self.raw.kind.group
    }

    pub fn sub_resource(&self) -> &'a str {
        &self.raw.sub_resource
    }

    /// The object being admitted, or the old one on DELETE.
    pub fn object(&self) -> &'a Value {
        if self.raw.object.is_null() {
            &self.raw.old_object
        } else {
            &self.raw.object
        }
    }

    /// The previous object on UPDATE (`Value::Null` otherwise).
    pub fn old_object(&self) -> &'a Value {
        &self.raw.old_object
    }

    pub fn namespace(&self) -> &'a str {
        if !self.raw.namespace.is_empty() {
            return &self.raw.namespace;
        }
        self.object()
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn name(&self) -> &'a str {
        if !self.raw.name.is_empty() {
            return &self.raw.name;
        }
        self.object()
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn labels(&self) -> Option<&'a Value> {
        self.object().pointer("/metadata/labels")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Default, serde::Deserialize)]
    struct NoSettings {}

    #[test]
    fn decode_error_does_not_echo_the_payload() {
        let payload = br#"{"request": {"object": {"data": {"password": "hunter2-very-secret"}}}, "settings": 5}"#;
        let err = decode::<NoSettings>(payload).unwrap_err().0;
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("settings: invalid type"), "{err}");
        let err = decode::<NoSettings>(br#"{"request": 7, "settings": {}}"#)
            .unwrap_err()
            .0;
        assert!(err.contains("line 1"), "{err}");
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read through Debug only
    struct Strict {
        mode: crate::Action,
    }

    #[test]
    fn settings_errors_name_the_setting_without_values() {
        let payload = br#"{"request": {}, "settings": {"mode": "hunter2-very-secret"}}"#;
        let err = decode::<Strict>(payload).unwrap_err().0;
        assert!(
            err.starts_with("cannot decode the validation request: mode: unknown variant `…`"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        assert!(decode::<Strict>(br#"{"request": {}, "settings": null}"#).is_err());
        assert!(decode::<Strict>(br#"{"request": {}}"#).is_err());
        let ok = decode::<Strict>(br#"{"request": {"uid": "1"}, "settings": {"mode": "warn"}}"#)
            .unwrap();
        assert_eq!(ok.settings.mode, crate::Action::Warn);
        assert_eq!(ok.request.uid, "1");
    }

    #[test]
    fn views_of_the_request() {
        let v: ValidationRequest<NoSettings> = decode(
            json!({
                "settings": {},
                "request": {
                    "operation": "DELETE", "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                    "object": null,
                    "oldObject": {"metadata": {"name": "web", "namespace": "prod", "labels": {"a": "b"}},
                                  "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}
                }
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        let req = Request::new(&v.request);
        assert_eq!(req.operation(), Operation::Delete);
        assert!(!req.is_create_or_update());
        assert_eq!(req.name(), "web");
        assert_eq!(req.namespace(), "prod");
        assert_eq!(req.labels(), Some(&json!({"a": "b"})));
    }
}
