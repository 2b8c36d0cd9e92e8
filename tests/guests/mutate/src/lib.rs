//! `mutate` test guest: answers with `mutated_object` = `request.object` plus the
//! label `mutated: "true"`. On DELETE (`object` null or absent) it answers `{}`, so
//! the host must refuse the mutation.

use kubewarden_policy_sdk::{
    mutate_request, protocol_version_guest, settings::Validatable, validate_settings,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use wapc_guest::{CallResult, register_function};

#[derive(Debug, Default, Deserialize)]
struct Settings {}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings::<Settings>);
    register_function("protocol_version", protocol_version_guest);
}

fn validate(payload: &[u8]) -> CallResult {
    let payload: Value = serde_json::from_slice(payload)?;
    let object = payload
        .get("request")
        .and_then(|r| r.get("object"))
        .cloned()
        .unwrap_or(Value::Null);
    let mutated = match object {
        Value::Object(mut obj) => {
            let metadata = obj
                .entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(metadata) = metadata {
                let labels = metadata
                    .entry("labels")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(labels) = labels {
                    labels.insert("mutated".into(), Value::String("true".into()));
                }
            }
            Value::Object(obj)
        }
        _ => Value::Object(Map::new()),
    };
    mutate_request(mutated)
}
