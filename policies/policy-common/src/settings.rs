//! `validate_settings` that names the offending setting.

use kubewarden_policy_sdk::settings::{SettingsValidationResponse, Validatable};
use serde::de::DeserializeOwned;

/// The `validate_settings` waPC operation.
///
/// The SDK's version turns a deserialisation error into a guest error, which kwctl reports as an
/// opaque `GuestCallFailure(...)`. Here every problem, including an unknown action or a typo in a
/// key, is a `valid: false` whose message starts with the path of the setting
/// (`rules.envSecrets: unknown variant ...`).
pub fn validate_settings<T>(payload: &[u8]) -> wapc_guest::CallResult
where
    T: DeserializeOwned + Validatable,
{
    let result = check::<T>(payload);
    let response = SettingsValidationResponse {
        valid: result.is_ok(),
        message: result.err().map(String::from),
    };
    Ok(serde_json::to_vec(&response)?)
}

/// Why a policy refuses its settings: one message, starting with the path of the setting
/// (`volumes.maxMode: must be between 0 and 0777 (511)`).
///
/// The message is written where the check fails. An enum with a variant per failure would give
/// every wasm module a `Display` arm per message on top of the code that builds the variant
/// (hundreds of bytes per policy).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

impl From<String> for SettingsError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<SettingsError> for String {
    fn from(error: SettingsError) -> Self {
        error.0
    }
}

/// Most entries any list setting of any policy takes (each README says so): a longer list is
/// refused, so that no accepted settings make every request slow enough to fail.
pub const MAX_ENTRIES: usize = 1000;

/// At most [`MAX_ENTRIES`] entries.
pub fn capped(path: &str, len: usize) -> Result<(), SettingsError> {
    if len > MAX_ENTRIES {
        return Err(SettingsError(format!(
            "{path}: at most {MAX_ENTRIES} entries, got {len}"
        )));
    }
    Ok(())
}

/// A list of names or patterns: at most [`MAX_ENTRIES`], none empty, none twice.
pub fn names(path: &str, list: &[String]) -> Result<(), SettingsError> {
    capped(path, list.len())?;
    for (i, e) in list.iter().enumerate() {
        if e.trim().is_empty() {
            return Err(SettingsError(format!("{path}[{i}]: must not be empty")));
        }
        if list[..i].contains(e) {
            return Err(SettingsError(format!("{path}[{i}]: duplicate entry")));
        }
    }
    Ok(())
}

/// At most [`MAX_ENTRIES`] entries, none twice: `path[i]: duplicates path[j]` (compared after
/// normalisation for patterns, whose `PartialEq` compares the normalised form).
pub fn unique<T: PartialEq>(path: &str, entries: &[T]) -> Result<(), SettingsError> {
    capped(path, entries.len())?;
    for (i, entry) in entries.iter().enumerate() {
        if let Some(j) = entries[..i].iter().position(|e| e == entry) {
            return Err(SettingsError(format!(
                "{path}[{i}]: duplicates {path}[{j}]"
            )));
        }
    }
    Ok(())
}

/// [`unique`], and none empty.
pub fn unique_names(path: &str, entries: &[String]) -> Result<(), SettingsError> {
    match entries.iter().position(|e| e.trim().is_empty()) {
        Some(i) => Err(SettingsError(format!("{path}[{i}]: must not be empty"))),
        None => unique(path, entries),
    }
}

/// Deserialises and validates settings: the verdict of `validate_settings`, for tests too.
pub fn check<T: DeserializeOwned + Validatable>(payload: &[u8]) -> Result<(), SettingsError> {
    parse::<T>(payload).and_then(|settings| settings.validate().map_err(SettingsError))
}

/// Deserialises settings, reporting the path of the first bad field.
pub fn parse<T: DeserializeOwned>(payload: &[u8]) -> Result<T, SettingsError> {
    let de = &mut serde_json::Deserializer::from_slice(payload);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        SettingsError(if path == "." {
            format!("settings: {}", strip_position(&inner.to_string()))
        } else {
            format!("{path}: {}", strip_position(&inner.to_string()))
        })
    })
}

/// A serde_json error without any quoted input, so that a value from the request (possibly a
/// secret) never reaches a message.
pub fn describe_serde_error(e: &serde_json::Error) -> String {
    crate::redact::quoted_in(strip_position(&e.to_string()))
}

fn strip_position(text: &str) -> &str {
    text.find(" at line ").map_or(text, |i| &text[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)] // read through Debug only
    struct Rules {
        env_secrets: Action,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read through Debug only
    struct Settings {
        rules: Rules,
        #[serde(default)]
        max: u32,
    }

    impl Validatable for Settings {
        fn validate(&self) -> Result<(), String> {
            if self.max > 10 {
                return Err("max: must be at most 10".into());
            }
            Ok(())
        }
    }

    fn run(payload: &str) -> SettingsValidationResponse {
        serde_json::from_slice(&validate_settings::<Settings>(payload.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn names_the_setting() {
        let r = run(r#"{"rules": {"envSecrets": "block"}}"#);
        assert!(!r.valid);
        let m = r.message.unwrap();
        assert!(
            m.starts_with("rules.envSecrets: unknown variant `block`"),
            "{m}"
        );

        let m = run(r#"{"rules": {"envSecret": "deny"}}"#).message.unwrap();
        assert!(
            m.starts_with("rules.envSecret: unknown field `envSecret`"),
            "{m}"
        );

        let m = run(r#"{"rules": {"envSecrets": "deny"}, "max": 11}"#)
            .message
            .unwrap();
        assert_eq!(m, "max: must be at most 10");

        assert!(run(r#"{"rules": {"envSecrets": "warn"}}"#).valid);
        let m = run("5").message.unwrap();
        assert!(m.starts_with("settings: invalid type"), "{m}");
    }

    #[test]
    fn serde_errors_are_redacted() {
        let e = serde_json::from_str::<u32>(r#""AKIAIOSFODNN7EXAMPLE""#).unwrap_err();
        let d = describe_serde_error(&e);
        assert!(!d.contains("AKIA"), "{d}");
        assert!(d.contains("invalid type"), "{d}");
        assert_eq!(
            crate::redact::quoted_in(
                "unknown variant `hunter2`, expected \"x\"; missing field `a`"
            ),
            "unknown variant `…`, expected \"…\"; missing field `a`"
        );
    }
}
