//! `echo` test guest: accepts, or rejects/warns/annotates as its settings say.
//!
//! Settings (all optional):
//! - `reject`: reject with this message (and `code`, when given);
//! - `warnings`, `auditAnnotations`: returned as they are;
//! - `echoRequest`: when true, `warnings` gets the exact `validate` payload received;
//! - `invalid`: `validate_settings` answers `valid: false` with this message.
//!
//! A known key of the wrong JSON type makes `validate_settings` fail with a
//! deserialization (guest) error.

use std::collections::HashMap;

use kubewarden_policy_sdk::{
    protocol_version_guest, request::ValidationRequest, response::ValidationResponse,
    settings::Validatable, validate_settings,
};
use serde::Deserialize;
use wapc_guest::{CallResult, register_function};

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Settings {
    reject: Option<String>,
    code: Option<u16>,
    warnings: Option<Vec<String>>,
    audit_annotations: Option<HashMap<String, String>>,
    echo_request: bool,
    invalid: Option<String>,
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        match &self.invalid {
            Some(why) => Err(why.clone()),
            None => Ok(()),
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings::<Settings>);
    register_function("protocol_version", protocol_version_guest);
}

fn validate(payload: &[u8]) -> CallResult {
    let req = ValidationRequest::<Settings>::new(payload)?;
    let settings = req.settings;
    let mut warnings = settings.warnings;
    if settings.echo_request {
        warnings
            .get_or_insert_with(Vec::new)
            .push(String::from_utf8_lossy(payload).into_owned());
    }
    let response = ValidationResponse {
        accepted: settings.reject.is_none(),
        message: settings.reject,
        code: settings.code,
        mutated_object: None,
        audit_annotations: settings.audit_annotations,
        warnings,
    };
    Ok(serde_json::to_vec(&response)?)
}
