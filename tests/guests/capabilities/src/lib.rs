//! `capabilities` test guest: performs the host calls its settings describe.
//!
//! Settings:
//! - `call`: `{"namespace": "...", "operation": "...", "payload": <json>}`, or
//!   `"rawPayload": "<string sent as is>"` instead of `payload`;
//! - `calls`: a list of such calls, made in order;
//! - `binding`: the waPC binding to use (default `kubewarden`);
//! - `log`: when set, first sends `tracing/log` `{"level":"info","message":<log>}`.
//!
//! Every successful call appends its response (as UTF-8) to `warnings`; a failed
//! call appends `host error: <error text>`. The request is accepted without a
//! message when every call succeeded, otherwise rejected with the first
//! `host error: <error text>` as message.
//!
//! The module embeds `io.kubewarden.metadata` granting `v1/Namespace` and `v1/Pod`
//! as contextAwareResources (but not `v1/Secret`).

use kubewarden_policy_sdk::{
    protocol_version_guest, response::ValidationResponse, settings::Validatable, validate_settings,
};
use serde::Deserialize;
use serde_json::Value;
use wapc_guest::{CallResult, register_function};

const METADATA_JSON: &[u8] = br#"{"protocolVersion":"v1","rules":[{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE","UPDATE","DELETE"]}],"annotations":{"io.kubewarden.policy.title":"guest-capabilities"},"mutating":false,"backgroundAudit":false,"executionMode":"kubewarden-wapc","policyType":"kubernetes","contextAwareResources":[{"apiVersion":"v1","kind":"Namespace"},{"apiVersion":"v1","kind":"Pod"}]}"#;

/// The custom section `kwctl annotate` would add (compact JSON of the metadata).
#[used]
#[unsafe(link_section = "io.kubewarden.metadata")]
static METADATA: [u8; METADATA_JSON.len()] = {
    let mut out = [0u8; METADATA_JSON.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = METADATA_JSON[i];
        i += 1;
    }
    out
};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Call {
    namespace: String,
    operation: String,
    #[serde(default)]
    payload: Value,
    raw_payload: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Settings {
    call: Option<Call>,
    calls: Vec<Call>,
    binding: Option<String>,
    log: Option<String>,
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

#[derive(Deserialize)]
struct Payload {
    settings: Settings,
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings::<Settings>);
    register_function("protocol_version", protocol_version_guest);
}

/// `wapc_guest` errors display as `Host error: <text>`: keep only `<text>`.
fn error_text(e: &dyn std::error::Error) -> String {
    let s = e.to_string();
    match s.strip_prefix("Host error: ") {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

fn validate(payload: &[u8]) -> CallResult {
    let settings = serde_json::from_slice::<Payload>(payload)?.settings;
    let binding = settings.binding.as_deref().unwrap_or("kubewarden");

    if let Some(message) = &settings.log {
        let event = serde_json::json!({"level": "info", "message": message});
        wapc_guest::host_call(binding, "tracing", "log", &serde_json::to_vec(&event)?)?;
    }

    let mut warnings = Vec::new();
    let mut first_error = None;
    for call in settings.call.iter().chain(settings.calls.iter()) {
        let bytes = match &call.raw_payload {
            Some(raw) => raw.as_bytes().to_vec(),
            None => serde_json::to_vec(&call.payload)?,
        };
        match wapc_guest::host_call(binding, &call.namespace, &call.operation, &bytes) {
            Ok(response) => warnings.push(String::from_utf8_lossy(&response).into_owned()),
            Err(e) => {
                let message = format!("host error: {}", error_text(e.as_ref()));
                warnings.push(message.clone());
                first_error.get_or_insert(message);
            }
        }
    }

    let response = ValidationResponse {
        accepted: first_error.is_none(),
        message: first_error,
        code: None,
        mutated_object: None,
        audit_annotations: None,
        warnings: if warnings.is_empty() {
            None
        } else {
            Some(warnings)
        },
    };
    Ok(serde_json::to_vec(&response)?)
}
