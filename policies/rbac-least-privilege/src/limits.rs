//! The size and shape every list of the settings must keep.

use policy_common::settings::SettingsError;

/// Most entries any list of these settings may hold (documented in the README): longer lists
/// are refused, so that no accepted settings make every request slow or fail.
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

/// A list of names or patterns: capped, none empty, none twice.
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
