//! Plaintext credentials in env values, `command` / `args` and ConfigMap data.
//!
//! Messages name where the credential is and which detector fired, never the value.

use crate::detect::{self, Config, SensitiveNames};
use crate::pod_ctx::{PodCtx, describe};
use crate::rules::RuleId;
use crate::settings::{Plaintext, SensitiveNameValues};
use policy_common::Report;
use policy_common::glob::glob_match;
use policy_common::json::escape_token;
use policy_common::redact::value as redacted;
use policy_common::shape::{self, Malformed};
use regex_lite::Regex;
use serde_json::Value;

/// The detectors configured for one request. User regexes are compiled here, and only when
/// the settings hold any.
pub struct Scanner<'a> {
    cfg: Config<'a>,
    allowed_names: &'a [String],
    allowed_values: Vec<Regex>,
    custom: Vec<(&'a str, Regex)>,
}

impl<'a> Scanner<'a> {
    pub fn new(settings: &'a Plaintext) -> Self {
        Scanner {
            cfg: Config {
                disabled: &settings.disabled_detectors,
                names: SensitiveNames {
                    built_in: settings.built_in_sensitive_names,
                    extra: &settings.sensitive_names,
                },
                any_value: settings.sensitive_name_values == SensitiveNameValues::Any,
                min_length: settings.min_length,
                min_entropy: settings.min_entropy,
            },
            allowed_names: &settings.allowed_names,
            allowed_values: settings
                .allowed_values
                .iter()
                .filter_map(|p| Regex::new(&format!("^(?:{p})$")).ok())
                .collect(),
            custom: settings
                .detectors
                .iter()
                .filter_map(|d| Regex::new(&d.pattern).ok().map(|r| (d.id.as_str(), r)))
                .collect(),
        }
    }

    /// The detector that fires on `value` under `name`, described for a message.
    pub fn check(&self, name: &str, value: &str) -> Option<String> {
        let upper = name.to_ascii_uppercase();
        if !name.is_empty()
            && self
                .allowed_names
                .iter()
                .any(|p| glob_match(&p.to_ascii_uppercase(), &upper))
        {
            return None;
        }
        if self.allowed_values.iter().any(|r| r.is_match(value)) {
            return None;
        }
        if let Some(d) = detect::scan(name, value, &self.cfg) {
            return Some(if d.encoded {
                format!("{} (base64-encoded)", d.id)
            } else {
                d.id.to_string()
            });
        }
        if self.custom.is_empty() {
            return None;
        }
        if let Some((id, _)) = self.custom.iter().find(|(_, r)| r.is_match(value)) {
            return Some((*id).to_string());
        }
        let decoded = detect::decode_base64_text(value)?;
        self.custom
            .iter()
            .find(|(_, r)| r.is_match(&decoded))
            .map(|(id, _)| format!("{id} (base64-encoded)"))
    }

    /// One `command` / `args` item. `prev` is the item before it (a `--flag` announcing it).
    pub fn check_arg(&self, prev: Option<&str>, item: &str) -> Option<String> {
        if let Some(found) = self.check("", item) {
            return Some(found);
        }
        // Shell scripts: look at each word with the word before it.
        let mut before = prev.filter(|_| !item.contains(char::is_whitespace));
        for word in item.split_whitespace() {
            let (name, value) = split_assignment(word)
                .or_else(|| before.filter(|p| is_flag(p)).map(|p| (p, word)))
                .unwrap_or(("", word));
            if !name.is_empty()
                && let Some(found) = self.check(name, unquote(value))
            {
                return Some(found);
            }
            before = Some(word);
        }
        None
    }
}

fn is_flag(word: &str) -> bool {
    word.starts_with('-') && !word.contains('=')
}

/// `--name=value`, `NAME=value`: the name and the value.
fn split_assignment(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    let ident = name.trim_start_matches('-');
    (!ident.is_empty()
        && ident
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
    .then_some((name, value))
}

fn unquote(value: &str) -> &str {
    value.trim_matches(|c| c == '"' || c == '\'' || c == ';')
}

/// Env values, `command` and `args` of the containers of a PodSpec.
pub fn check_pod(ctx: &PodCtx<'_>, settings: &Plaintext, report: &mut Report) {
    if settings.action.is_off() {
        return;
    }
    let scanner = Scanner::new(settings);
    for c in ctx.containers() {
        for (i, env) in c.array("env") {
            if env.get("valueFrom").is_some() {
                continue;
            }
            let name = env.get("name").and_then(Value::as_str).unwrap_or("");
            let Some(value) = env.get("value").and_then(Value::as_str) else {
                continue;
            };
            if let Some(detector) = scanner.check(name, value) {
                report.add(
                    RuleId::PlaintextCredential.as_str(),
                    settings.action,
                    format!(
                        "{}: env '{}' (env[{i}]) holds a plaintext credential (detector '{detector}'); use a secretKeyRef or a mounted Secret",
                        describe(&c),
                        redacted(name)
                    ),
                );
            }
        }
        for field in ["command", "args"] {
            let items: Vec<&str> = c.array(field).filter_map(|(_, v)| v.as_str()).collect();
            for (i, item) in items.iter().enumerate() {
                let prev = i.checked_sub(1).map(|p| items[p]);
                if let Some(detector) = scanner.check_arg(prev, item) {
                    report.add(
                        RuleId::PlaintextCredential.as_str(),
                        settings.action,
                        format!(
                            "{}: {field}[{i}] holds a plaintext credential (detector '{detector}')",
                            describe(&c)
                        ),
                    );
                }
            }
        }
    }
}

/// ConfigMap `data` and `binaryData` (decoded): each value, then each `key = value` /
/// `key: value` line of it. A value that is not a string, or binary data that is not base64,
/// is malformed.
pub fn check_config_map(object: &Value, settings: &Plaintext, report: &mut Report) {
    let action = settings.config_maps;
    if action.is_off() {
        return;
    }
    let scanner = Scanner::new(settings);
    let name = redacted(
        object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or(""),
    );
    for field in ["data", "binaryData"] {
        let pointer = format!("/{field}");
        let data = match shape::object(object, &pointer) {
            Ok(Some(data)) => data,
            Ok(None) => continue,
            Err(problem) => {
                report.malformed(&problem, action);
                continue;
            }
        };
        for (key, value) in data {
            let at = || format!("{pointer}/{}", escape_token(key));
            let Some(value) = value.as_str() else {
                report.malformed(&Malformed::new(at(), "a string"), action);
                continue;
            };
            let decoded;
            let text = if field == "data" {
                value
            } else {
                let Some(bytes) = detect::decode_base64(value.trim().as_bytes()) else {
                    report.malformed(&Malformed::new(at(), "a base64-encoded string"), action);
                    continue;
                };
                decoded = String::from_utf8_lossy(&bytes).into_owned();
                &decoded
            };
            if let Some(detector) = scan_entry(&scanner, key, text) {
                report.add(
                    RuleId::PlaintextCredential.as_str(),
                    action,
                    format!(
                        "ConfigMap '{name}': {field} key '{}' holds a plaintext credential (detector '{detector}'); store it in a Secret",
                        redacted(key)
                    ),
                );
            }
        }
    }
}

/// One ConfigMap entry: the value, then each `key = value` / `key: value` line of it.
fn scan_entry(scanner: &Scanner<'_>, key: &str, value: &str) -> Option<String> {
    scanner.check(key, value).or_else(|| {
        value.lines().find_map(|line| {
            let line = line.trim().trim_start_matches("export ");
            let (k, v) = line
                .split_once('=')
                .or_else(|| line.split_once(':'))
                .filter(|(k, _)| !k.trim().is_empty() && !k.contains(char::is_whitespace))?;
            scanner.check(k.trim().trim_matches('"'), unquote(v.trim()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::CustomDetector;

    fn settings() -> Plaintext {
        Plaintext::default()
    }

    #[test]
    fn args_with_flags_and_scripts() {
        let p = settings();
        let s = Scanner::new(&p);
        assert_eq!(
            s.check_arg(None, "--db-password=Tr0ub4dor&3xq").as_deref(),
            Some("sensitive-name")
        );
        assert_eq!(
            s.check_arg(Some("--token"), "q8Zt3LmW9xVb2").as_deref(),
            Some("sensitive-name")
        );
        assert_eq!(
            s.check_arg(None, "export API_TOKEN='q8Zt3LmW9xVb2' && run")
                .as_deref(),
            Some("sensitive-name")
        );
        assert_eq!(
            s.check_arg(None, "aws s3 ls --key AKIAIOSFODNN7EXAMPLE")
                .as_deref(),
            Some("aws-access-key-id")
        );
        assert_eq!(s.check_arg(Some("--token"), "--verbose"), None);
        assert_eq!(s.check_arg(None, "--password-file=/run/secrets/pw"), None);
        assert_eq!(s.check_arg(Some("--config"), "q8Zt3LmW9xVb2"), None);
        assert_eq!(s.check_arg(None, "--password=$(DB_PASSWORD)"), None);
    }

    #[test]
    fn allow_lists_and_custom_detectors() {
        let mut p = settings();
        p.allowed_names = vec!["public_*".into()];
        p.allowed_values = vec!["AKIA[A-Z0-9]*EXAMPLE".into()];
        p.detectors = vec![CustomDetector {
            id: "corp-token".into(),
            pattern: "corp_[a-z0-9]{12}".into(),
        }];
        let s = Scanner::new(&p);
        assert_eq!(s.check("PUBLIC_API_KEY", "q8Zt3LmW9xVb2"), None);
        assert_eq!(s.check("X", "AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(
            s.check("X", "AKIAY34FZKBOKMUTVV7A").as_deref(),
            Some("aws-access-key-id")
        );
        assert_eq!(
            s.check("X", "id corp_abcdef123456").as_deref(),
            Some("corp-token")
        );
        assert_eq!(
            s.check("X", "Y29ycF9hYmNkZWYxMjM0NTYgYW5kIG1vcmU=")
                .as_deref(),
            Some("corp-token (base64-encoded)")
        );
    }
}
