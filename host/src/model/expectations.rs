//! What a suite case expects, checked against what happened: the response fields, a host
//! error, and planted secrets that must not leak into any output.

use serde_json::Value;

use super::admission_response::AdmissionResponse;
use super::suite::Expect;
pub(super) fn check_response(
    expect: &Expect,
    response: &AdmissionResponse,
    request_object: Option<&Value>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if expect.invalid_settings.is_some() {
        problems.push("expected the settings to be rejected, but they were accepted".into());
    }
    if expect.host_error.is_some() {
        problems.push("expected a host error, but the policy answered".into());
    }
    if let Some(allowed) = expect.allowed
        && allowed != response.allowed
    {
        problems.push(format!(
            "allowed: expected {allowed}, got {}",
            response.allowed
        ));
    }
    let message = response.status.as_ref().and_then(|s| s.message.as_deref());
    if let Some(wanted) = &expect.message
        && !message.is_some_and(|m| m.contains(wanted.as_str()))
    {
        problems.push(format!(
            "message: expected to contain {wanted:?}, got {message:?}"
        ));
    }
    if let Some(pattern) = &expect.message_regex {
        match regex::Regex::new(pattern) {
            Ok(re) if message.is_some_and(|m| re.is_match(m)) => {}
            Ok(_) => problems.push(format!(
                "message: expected to match /{pattern}/, got {message:?}"
            )),
            Err(e) => problems.push(format!("messageRegex is not a valid regex: {e}")),
        }
    }
    let code = response.status.as_ref().and_then(|s| s.code);
    if let Some(wanted) = expect.code
        && code != Some(wanted)
    {
        problems.push(format!("code: expected {wanted}, got {code:?}"));
    }
    if let Some(wanted) = &expect.warnings
        && response.warnings.as_ref() != Some(wanted)
    {
        problems.push(format!(
            "warnings: expected {wanted:?}, got {:?}",
            response.warnings
        ));
    }
    if let Some(fragments) = &expect.warnings_contain {
        let warnings = response.warnings.clone().unwrap_or_default();
        for fragment in fragments {
            if !warnings.iter().any(|w| w.contains(fragment.as_str())) {
                problems.push(format!(
                    "warnings: none contains {fragment:?}, got {warnings:?}"
                ));
            }
        }
    }
    if let Some(wanted) = &expect.audit_annotations
        && response.audit_annotations.as_ref() != Some(wanted)
    {
        problems.push(format!(
            "auditAnnotations: expected {wanted:?}, got {:?}",
            response.audit_annotations
        ));
    }
    let patch = match response.decoded_patch().transpose() {
        Ok(patch) => patch,
        Err(e) => {
            problems.push(format!("patch is not base64 JSON: {e}"));
            None
        }
    };
    if expect.no_patch == Some(true) && patch.is_some() {
        problems.push(format!(
            "patch: expected none, got {}",
            patch.as_ref().map_or_else(String::new, Value::to_string)
        ));
    }
    if let Some(wanted) = &expect.patch
        && patch.as_ref() != Some(wanted)
    {
        problems.push(format!(
            "patch: expected {wanted}, got {}",
            patch
                .as_ref()
                .map_or_else(|| "no patch".to_owned(), Value::to_string)
        ));
    }
    if let Some(wanted) = &expect.mutated_object {
        let mut object = request_object.cloned().unwrap_or(Value::Null);
        let applied = match &patch {
            Some(patch) => serde_json::from_value::<json_patch::Patch>(patch.clone())
                .map_err(|e| e.to_string())
                .and_then(|p| json_patch::patch(&mut object, &p.0).map_err(|e| e.to_string())),
            None => Ok(()),
        };
        match applied {
            Err(e) => problems.push(format!("mutatedObject: the patch does not apply: {e}")),
            Ok(()) if &object != wanted => {
                problems.push(format!("mutatedObject: expected {wanted}, got {object}"));
            }
            Ok(()) => {}
        }
    }
    if !problems.is_empty() {
        problems.push(format!("response: {}", response.to_json()));
    }
    problems
}

pub(super) fn expect_host_error(expect: &Expect, error: &str) -> Vec<String> {
    match &expect.host_error {
        Some(wanted) if error.contains(wanted.as_str()) => Vec::new(),
        Some(wanted) => vec![format!(
            "host error: expected to contain {wanted:?}, got {error:?}"
        )],
        None => vec![format!("host error: {error}")],
    }
}

/// Every piece a planted secret must not leak as: the value and each 8-character window.
fn secret_pieces(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    let mut pieces = vec![secret.to_owned()];
    if chars.len() > 8 {
        pieces.extend(chars.windows(8).map(|w| w.iter().collect::<String>()));
    }
    pieces
}

/// Problems for every planted secret (or piece of one) found in `outputs`.
pub(super) fn scan_for_secrets(secrets: &[String], outputs: &[(&str, &str)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (index, secret) in secrets.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
        'pieces: for piece in secret_pieces(secret) {
            for (what, text) in outputs {
                if text.contains(piece.as_str()) {
                    problems.push(format!(
                        "planted secret #{} leaked: {piece:?} found in the {what}",
                        index + 1
                    ));
                    break 'pieces;
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_whole_and_in_pieces() {
        let secrets = vec!["AKIAIOSFODNN7EXAMPLE".to_owned()];
        assert!(scan_for_secrets(&secrets, &[("response", "all clean")]).is_empty());
        assert_eq!(
            scan_for_secrets(
                &secrets,
                &[("response", "x"), ("guest output", "key=SFODNN7E...")]
            ),
            vec!["planted secret #1 leaked: \"SFODNN7E\" found in the guest output".to_owned()]
        );
        assert_eq!(secret_pieces("short").len(), 1);
        assert_eq!(secret_pieces("123456789").len(), 3);
    }
}
