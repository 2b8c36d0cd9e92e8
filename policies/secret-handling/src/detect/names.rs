//! The sensitive-name heuristic: a literal with enough length and entropy under a name that
//! announces a credential, unless it is a placeholder, a path or a number.

use super::Config;
use super::chars::entropy;
use policy_common::glob::glob_match;

/// The names that announce a credential: the built-in words and the user's
/// `plaintext.sensitiveNames`.
#[derive(Clone, Copy, Debug)]
pub struct SensitiveNames<'a> {
    pub built_in: bool,
    /// Case-insensitive substrings, or globs over the whole name when they hold `*` or `?`.
    pub extra: &'a [String],
}

impl SensitiveNames<'_> {
    pub const BUILT_IN: SensitiveNames<'static> = SensitiveNames {
        built_in: true,
        extra: &[],
    };

    pub fn matches(&self, name: &str) -> bool {
        let words = name_words(name);
        if words.last().is_none_or(|last| descriptive(last)) {
            return false;
        }
        if self.built_in && sensitive_words(&words) {
            return true;
        }
        if self.extra.is_empty() {
            // The default: no copy of the name for patterns that are not there.
            return false;
        }
        let upper = name.to_ascii_uppercase();
        self.extra.iter().any(|pattern| {
            let pattern = pattern.to_ascii_uppercase();
            if pattern.contains(['*', '?']) {
                glob_match(&pattern, &upper)
            } else {
                upper.contains(&pattern)
            }
        })
    }
}

/// Splits `dbPassword`, `DB_PASSWORD`, `--db-password` into upper-case words.
pub(super) fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// A last word that describes a credential without holding one (`TOKEN_FILE`, `PASSWORD_TTL`).
fn descriptive(last: &str) -> bool {
    const DESCRIPTIVE: [&str; 34] = [
        "FILE",
        "FILES",
        "PATH",
        "DIR",
        "FILENAME",
        "NAME",
        "URL",
        "URI",
        "ENDPOINT",
        "HOST",
        "PORT",
        "TTL",
        "EXPIRY",
        "EXPIRATION",
        "TIMEOUT",
        "LENGTH",
        "LEN",
        "SIZE",
        "ENABLED",
        "ENABLE",
        "DISABLED",
        "TYPE",
        "HEADER",
        "ID",
        "REF",
        "KIND",
        "MODE",
        "POLICY",
        "VERSION",
        "COUNT",
        "REFRESH",
        "ROTATION",
        "MOUNT",
        "LOCATION",
    ];
    DESCRIPTIVE.contains(&last)
}

/// Whether one of the words is a built-in credential word.
fn sensitive_words(words: &[String]) -> bool {
    const CONTAINED: [&str; 7] = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "APIKEY",
        "PASSPHRASE",
        "CREDENTIAL",
    ];
    const EXACT: [&str; 3] = ["PASS", "PWD", "PSK"];
    const KEY_QUALIFIERS: [&str; 7] = [
        "API",
        "ACCESS",
        "PRIVATE",
        "SIGNING",
        "ENCRYPTION",
        "MASTER",
        "CLIENT",
    ];
    words.iter().enumerate().any(|(i, w)| {
        CONTAINED.iter().any(|k| w.contains(k))
            || EXACT.contains(&w.as_str())
            || (w == "KEY" && i > 0 && KEY_QUALIFIERS.contains(&words[i - 1].as_str()))
    })
}

/// Values that stand for "no real secret here".
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || v.starts_with('$') || v.contains("{{") || v.contains("${") {
        return true;
    }
    if (v.starts_with('<') && v.ends_with('>')) || (v.starts_with('%') && v.ends_with('%')) {
        return true;
    }
    let first = v.as_bytes()[0];
    if v.bytes().all(|b| b == first) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const EXACT: [&str; 20] = [
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "password",
        "secret",
        "placeholder",
        "replaceme",
        "todo",
        "tbd",
        "none",
        "null",
        "nil",
        "undefined",
        "redacted",
        "notset",
        "unset",
        "default",
        "dummy",
        "example",
    ];
    const CONTAINED: [&str; 7] = [
        "changeme",
        "change_me",
        "change-me",
        "placeholder",
        "replace_me",
        "replace-me",
        "your-",
    ];
    EXACT.contains(&lower.as_str())
        || CONTAINED.iter().any(|c| lower.contains(c))
        || lower.starts_with("your_")
        || lower.starts_with("<your")
}

pub(super) fn is_path(value: &str) -> bool {
    let v = value.trim();
    (v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || v.starts_with("file:"))
        && !v.contains(char::is_whitespace)
}

/// Whether `v.parse::<f64>()` would succeed, without pulling the float parser into the module:
/// an optional sign, then `inf`, `infinity` or `nan` (any case), or digits with at most one `.`
/// (at least one digit) and an optional exponent `e`/`E` with an optional sign and digits.
pub(super) fn is_float(v: &str) -> bool {
    let b = v.as_bytes();
    let b = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    if [&b"inf"[..], b"infinity", b"nan"]
        .iter()
        .any(|w| b.eq_ignore_ascii_case(w))
    {
        return true;
    }
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += 1 + frac;
    }
    if int + frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// A literal under a sensitive name: any non-empty one that is not a path or a `$(VAR)`
/// reference with `any_value`, else one with enough length and entropy.
pub(super) fn sensitive_literal(name: &str, value: &str, cfg: &Config<'_>) -> bool {
    let v = value.trim();
    if !cfg.names.matches(name) {
        return false;
    }
    if cfg.any_value {
        let reference = v.starts_with("$(") && v.ends_with(')') && !v[2..].contains('(');
        return !(v.is_empty() || reference || is_path(v));
    }
    if v.len() < cfg.min_length
        || v.contains(char::is_whitespace)
        || v.contains("://")
        || is_placeholder(v)
        || is_path(v)
        || is_float(v)
        || matches!(v, "true" | "false" | "True" | "False")
    {
        return false;
    }
    entropy(v) >= cfg.min_entropy
}
