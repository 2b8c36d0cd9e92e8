//! Policy settings: always a JSON object (`PolicySettings(serde_json::Map)`), null -> `{}`.

use serde_json::{Map, Value};

use crate::document::{InputError, parse_json_or_yaml, sort_keys};

pub type Settings = Map<String, Value>;

pub fn from_value(value: Value, origin: &str) -> Result<Settings, InputError> {
    match sort_keys(value) {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map),
        other => Err(InputError::new(format!(
            "settings from {origin} must be an object, got {}",
            match other {
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                _ => "a list",
            }
        ))),
    }
}

pub fn from_text(text: &str, origin: &str) -> Result<Settings, InputError> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    from_value(parse_json_or_yaml(text, origin)?, origin)
}

/// A settings file, JSON or YAML (empty is `{}`).
pub fn from_file(path: &std::path::Path) -> Result<Settings, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(format!("cannot read {}: {e}", path.display())))?;
    from_text(&text, &path.display().to_string())
}

/// `validate_settings` output (SDK `SettingsValidationResponse`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct SettingsValidationResponse {
    pub valid: bool,
    #[serde(default)]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_empty_are_empty_objects() {
        assert!(from_text("null", "s").unwrap().is_empty());
        assert!(from_text("", "s").unwrap().is_empty());
        assert_eq!(from_text("a: 1\n", "s.yaml").unwrap()["a"], 1);
        assert_eq!(
            from_text("[1]", "s.json").unwrap_err().to_string(),
            "settings from s.json must be an object, got a list"
        );
    }
}
