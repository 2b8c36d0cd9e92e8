//! Reading JSON-or-YAML input documents into `serde_json::Value`s with sorted keys.

use std::path::Path;

use serde_json::{Map, Value};

/// Unusable input: the message names the file and what is wrong (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Parses JSON, falling back to YAML (kwctl accepts both for settings; fixtures too).
pub fn parse_json_or_yaml(text: &str, origin: &str) -> Result<Value, InputError> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => Ok(value),
        Err(json_error) => match serde_yaml::from_str::<Value>(text) {
            Ok(value) => Ok(value),
            Err(yaml_error) => {
                let looks_like_json = text.trim_start().starts_with(['{', '[']);
                Err(InputError::new(if looks_like_json {
                    format!("{origin} is not valid JSON: {json_error}")
                } else {
                    format!("{origin} is neither JSON nor YAML: {yaml_error}")
                }))
            }
        },
    }
}

pub fn read_document(path: &Path) -> Result<Value, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(format!("cannot read {}: {e}", path.display())))?;
    parse_json_or_yaml(&text, &path.display().to_string())
}

/// Rebuilds every object with its keys in alphabetical order.
///
/// kwctl's serde_json has no `preserve_order`, so guests always see sorted keys; doing
/// it explicitly keeps that true even if feature unification enables `preserve_order`.
pub fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.cmp(b));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}
