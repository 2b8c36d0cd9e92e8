//! Built-in credential detectors: hand-written scanners, no regexes and no start-up tables.
//!
//! Every scanner first looks for a cheap keyword (a token prefix, `://`, `-----BEGIN `) with
//! `str::find`, so a value without any of them costs a handful of substring searches. Only then
//! are charset, length and entropy checked around the hit.

/// Ids of the built-in detectors, as used in messages and in `plaintext.disabledDetectors`.
pub const BUILTIN_IDS: [&str; 14] = [
    "aws-access-key-id",
    "aws-secret-access-key",
    "gcp-api-key",
    "gcp-service-account",
    "azure-storage-key",
    "github-token",
    "gitlab-token",
    "slack-token",
    "slack-webhook",
    "stripe-key",
    "jwt",
    "private-key",
    "url-credentials",
    "sensitive-name",
];

/// Tuning of the detectors.
#[derive(Clone, Copy, Debug)]
pub struct Config<'a> {
    pub disabled: &'a [String],
    pub min_length: usize,
    pub min_entropy: f64,
}

impl Config<'_> {
    fn on(&self, id: &str) -> bool {
        !self.disabled.iter().any(|d| d == id)
    }
}

/// What was found; never carries the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detection {
    pub id: &'static str,
    /// Found inside the base64 decoding of the value.
    pub encoded: bool,
}

/// Scans `value` found under `name` (env var name, flag name, ConfigMap key; may be empty).
pub fn scan(name: &str, value: &str, cfg: &Config<'_>) -> Option<Detection> {
    if let Some(id) = scan_tokens(name, value, cfg) {
        return Some(Detection { id, encoded: false });
    }
    if cfg.on("sensitive-name") && sensitive_literal(name, value, cfg) {
        return Some(Detection {
            id: "sensitive-name",
            encoded: false,
        });
    }
    // One level of base64 only: the decoded text is not decoded again.
    let decoded = decode_base64_text(value)?;
    scan_tokens(name, &decoded, cfg).map(|id| Detection { id, encoded: true })
}

/// The format-specific detectors (everything but the sensitive-name heuristic).
fn scan_tokens(name: &str, value: &str, cfg: &Config<'_>) -> Option<&'static str> {
    type Scanner = fn(&str, &str) -> bool;
    let scanners: [(&'static str, Scanner); 13] = [
        ("gcp-service-account", |_, v| gcp_service_account(v)),
        ("private-key", |_, v| private_key(v)),
        ("aws-access-key-id", |_, v| aws_access_key_id(v)),
        ("aws-secret-access-key", aws_secret_access_key),
        ("gcp-api-key", |_, v| gcp_api_key(v)),
        ("azure-storage-key", azure_storage_key),
        ("github-token", |_, v| github_token(v)),
        ("gitlab-token", |_, v| gitlab_token(v)),
        ("slack-token", |_, v| slack_token(v)),
        ("slack-webhook", |_, v| slack_webhook(v)),
        ("stripe-key", |_, v| stripe_key(v)),
        ("jwt", |_, v| jwt(v)),
        ("url-credentials", |_, v| url_credentials(v)),
    ];
    scanners
        .into_iter()
        .find(|(id, scan)| cfg.on(id) && scan(name, value))
        .map(|(id, _)| id)
}

// ---- character classes and helpers -------------------------------------------------------

fn is_upper_b32(b: u8) -> bool {
    b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)
}
fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}
fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Length of the run of `pred` bytes starting at `start`.
fn run(bytes: &[u8], start: usize, pred: fn(u8) -> bool) -> usize {
    bytes
        .get(start..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| pred(b)).count())
}

/// True when the byte before `at` does not continue a token of class `pred`.
fn starts_token(bytes: &[u8], at: usize, pred: fn(u8) -> bool) -> bool {
    at == 0 || !pred(bytes[at - 1])
}

/// Every occurrence of `prefix` that starts a token, with the length of the run after it.
fn prefixed_runs<'a>(
    value: &'a str,
    prefix: &'a str,
    token: fn(u8) -> bool,
    body: fn(u8) -> bool,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    let bytes = value.as_bytes();
    value
        .match_indices(prefix)
        .map(|(i, _)| i)
        .filter(move |&i| starts_token(bytes, i, token))
        .map(move |i| (i, run(bytes, i + prefix.len(), body)))
}

/// Shannon entropy of `s` in bits per byte, computed on a stack histogram.
pub fn entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s.as_bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

// ---- cloud keys ---------------------------------------------------------------------------

/// `(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}`, as a whole token.
fn aws_access_key_id(value: &str) -> bool {
    let bytes = value.as_bytes();
    let token = |b: u8| b.is_ascii_alphanumeric();
    value.match_indices('A').any(|(i, _)| {
        let Some(head) = bytes.get(i..i + 4) else {
            return false;
        };
        let known = matches!(head, b"AKIA" | b"ASIA" | b"ABIA" | b"ACCA")
            || (head.starts_with(b"A3T") && token(head[3]));
        known
            && starts_token(bytes, i, token)
            && run(bytes, i + 4, is_upper_b32) >= 16
            && !bytes.get(i + 20).is_some_and(|&b| token(b))
            && entropy(&value[i..i + 20]) >= 3.0
    })
}

/// A 40-character base64 token next to the keyword `aws` (in the name or the value).
fn aws_secret_access_key(name: &str, value: &str) -> bool {
    if !contains_ignore_case(name, "aws") && !contains_ignore_case(value, "aws") {
        return false;
    }
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let n = run(bytes, i, is_b64);
        if n == 40 && bytes.get(i + n).is_none_or(|&b| b != b'=') {
            let t = &value[i..i + n];
            let mixed = t.bytes().any(|b| b.is_ascii_lowercase())
                && t.bytes().any(|b| b.is_ascii_uppercase());
            if mixed && entropy(t) >= 4.0 {
                return true;
            }
        }
        i += n.max(1);
    }
    false
}

/// `AIza` + 35 of `[A-Za-z0-9_-]`.
fn gcp_api_key(value: &str) -> bool {
    prefixed_runs(value, "AIza", is_b64url, is_b64url).any(|(_, n)| n == 35)
}

/// A service-account key file: JSON with `"type": "service_account"` and a private key.
fn gcp_service_account(value: &str) -> bool {
    value.contains("service_account")
        && value.contains("\"private_key")
        && value.contains("\"type\"")
}

/// `AccountKey=<88 base64>` in a connection string, or an 88-character key under an Azure name.
fn azure_storage_key(name: &str, value: &str) -> bool {
    let bytes = value.as_bytes();
    let key_len = |at: usize| {
        let n = run(bytes, at, is_b64);
        let pad = run(bytes, at + n, |b| b == b'=');
        (n, pad)
    };
    let lower_hit = value
        .match_indices("ccountKey=")
        .chain(value.match_indices("ccountkey="))
        .any(|(i, m)| {
            let (n, pad) = key_len(i + m.len());
            n + pad == 88 && n >= 86
        });
    if lower_hit {
        return true;
    }
    let t = value.trim();
    if contains_ignore_case(name, "azure") || contains_ignore_case(name, "storage") {
        let (n, pad) = (
            run(t.as_bytes(), 0, is_b64),
            run(t.as_bytes(), 86, |b| b == b'='),
        );
        return t.len() == 88 && n >= 86 && n + pad == 88 && entropy(t) >= 4.5;
    }
    false
}

// ---- VCS, chat and payment tokens ---------------------------------------------------------

fn github_token(value: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .into_iter()
        .any(|p| prefixed_runs(value, p, alnum, alnum).any(|(_, n)| n >= 36))
        || prefixed_runs(value, "github_pat_", alnum, word).any(|(_, n)| n >= 82)
}

fn gitlab_token(value: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    ["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-"]
        .into_iter()
        .any(|p| prefixed_runs(value, p, alnum, is_b64url).any(|(_, n)| n >= 20))
}

/// `xox[baprse]-` followed by a digit-bearing run of at least 20 characters.
fn slack_token(value: &str) -> bool {
    let bytes = value.as_bytes();
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    let body = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    value.match_indices("xox").any(|(i, _)| {
        matches!(
            bytes.get(i + 3),
            Some(b'b' | b'a' | b'p' | b'r' | b's' | b'e')
        ) && bytes.get(i + 4) == Some(&b'-')
            && starts_token(bytes, i, alnum)
            && {
                let n = run(bytes, i + 5, body);
                n >= 20 && value[i + 5..i + 5 + n].bytes().any(|b| b.is_ascii_digit())
            }
    })
}

fn slack_webhook(value: &str) -> bool {
    let body = |b: u8| b.is_ascii_alphanumeric() || b == b'/' || b == b'_';
    value
        .match_indices("hooks.slack.com/services/")
        .any(|(i, m)| run(value.as_bytes(), i + m.len(), body) >= 20)
}

fn stripe_key(value: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    [
        "sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_",
    ]
    .into_iter()
    .any(|p| prefixed_runs(value, p, alnum, alnum).any(|(_, n)| n >= 16))
}

/// Three base64url segments whose first decodes to a JSON object with an `alg`.
fn jwt(value: &str) -> bool {
    let bytes = value.as_bytes();
    prefixed_runs(value, "eyJ", is_b64url, is_b64url).any(|(i, n)| {
        let header_len = 3 + n;
        let p = i + header_len;
        if header_len < 10 || bytes.get(p) != Some(&b'.') {
            return false;
        }
        let payload = run(bytes, p + 1, is_b64url);
        if payload < 2 || bytes.get(p + 1 + payload) != Some(&b'.') {
            return false;
        }
        decode_base64(&bytes[i..p]).is_some_and(|h| {
            let h = String::from_utf8_lossy(&h);
            h.trim_start().starts_with('{') && h.contains("\"alg\"")
        })
    })
}

/// `-----BEGIN <label>-----` where the label is a private key (RSA, EC, DSA, OPENSSH, PKCS#8,
/// encrypted) or a PGP private key block.
fn private_key(value: &str) -> bool {
    value.match_indices("-----BEGIN ").any(|(i, m)| {
        let rest = &value[i + m.len()..];
        let Some(end) = rest.find("-----").filter(|&e| e <= 40) else {
            return false;
        };
        let label = &rest[..end];
        label.ends_with("PRIVATE KEY") || label == "PGP PRIVATE KEY BLOCK"
    })
}

/// `scheme://user:password@host` with a password that is not a placeholder.
fn url_credentials(value: &str) -> bool {
    let bytes = value.as_bytes();
    value.match_indices("://").any(|(i, _)| {
        let scheme_len = bytes[..i]
            .iter()
            .rev()
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
            .count();
        if scheme_len < 2 || !bytes[i - scheme_len].is_ascii_alphabetic() {
            return false;
        }
        let rest = &value[i + 3..];
        let end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        let Some(at) = authority.rfind('@') else {
            return false;
        };
        let Some((_, password)) = authority[..at].split_once(':') else {
            return false;
        };
        !authority[at + 1..].is_empty() && password.len() >= 3 && !is_placeholder(password)
    })
}

// ---- sensitive names ----------------------------------------------------------------------

/// Splits `dbPassword`, `DB_PASSWORD`, `--db-password` into upper-case words.
fn name_words(name: &str) -> Vec<String> {
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

/// Whether a variable / flag / key name announces a credential.
pub fn sensitive_name(name: &str) -> bool {
    let words = name_words(name);
    let Some(last) = words.last() else {
        return false;
    };
    // Names that describe a credential without holding one.
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
    if DESCRIPTIVE.contains(&last.as_str()) {
        return false;
    }
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

fn is_path(value: &str) -> bool {
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
fn is_float(v: &str) -> bool {
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

/// A literal with enough length and entropy under a sensitive name.
fn sensitive_literal(name: &str, value: &str, cfg: &Config<'_>) -> bool {
    let v = value.trim();
    if !sensitive_name(name)
        || v.len() < cfg.min_length
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

// ---- base64 -------------------------------------------------------------------------------

fn b64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes standard or url-safe base64, padded or not. `None` on any invalid character.
pub fn decode_base64(input: &[u8]) -> Option<Vec<u8>> {
    let trimmed = match input.iter().rposition(|&b| b != b'=') {
        Some(last) => &input[..=last],
        None => return Some(Vec::new()),
    };
    if input.len() - trimmed.len() > 2 || trimmed.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in trimmed {
        acc = (acc << 6) | u32::from(b64_value(b)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The text inside `value` when it looks like base64 (one alphabet, long enough) and decodes
/// to printable UTF-8.
pub fn decode_base64_text(value: &str) -> Option<String> {
    let v = value.trim();
    if v.len() < 24 {
        return None;
    }
    let body = v.trim_end_matches('=');
    let std = body.bytes().all(is_b64);
    let url = body.bytes().all(is_b64url);
    if !(std || url) || (v.len() != body.len() && !v.len().is_multiple_of(4)) {
        return None;
    }
    let decoded = String::from_utf8(decode_base64(v.as_bytes())?).ok()?;
    decoded
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .then_some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: Config<'static> = Config {
        disabled: &[],
        min_length: 8,
        min_entropy: 3.0,
    };

    fn b64(s: &str) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in s.as_bytes().chunks(3) {
            let n = chunk.iter().fold(0u32, |a, &b| a << 8 | b as u32) << (8 * (3 - chunk.len()));
            for k in 0..=chunk.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            }
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
        out
    }

    fn id(name: &str, value: &str) -> Option<&'static str> {
        scan(name, value, &CFG).map(|d| d.id)
    }

    pub const POSITIVES: [(&str, &str, &str); 17] = [
        ("X", "AKIAIOSFODNN7EXAMPLE", "aws-access-key-id"),
        ("X", "id=ASIAY34FZKBOKMUTVV7A;", "aws-access-key-id"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws-secret-access-key",
        ),
        (
            "X",
            "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
            "gcp-api-key",
        ),
        (
            "SA",
            r#"{"type": "service_account", "private_key_id": "abc", "private_key": "..."}"#,
            "gcp-service-account",
        ),
        (
            "X",
            "DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=LS+2Y1nbmxHI7FauVMrmdbXVpiC+OnBC5BfJGA02BitWmtUmoxD9IRBpjS8G3V0iiG8+cxhA83UxjICWXmdbvQ==;",
            "azure-storage-key",
        ),
        (
            "X",
            "ghp_R4nd0mT0k3nV4lu3W1thThirtySixChars12",
            "github-token",
        ),
        ("X", "glpat-xK9vTq2LmN8pRs4WyZ1a", "gitlab-token"),
        (
            "X",
            "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
            "slack-token",
        ),
        (
            "X",
            "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "slack-webhook",
        ),
        ("X", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
        (
            "X",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "jwt",
        ),
        (
            "X",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----",
            "private-key",
        ),
        ("X", "-----BEGIN OPENSSH PRIVATE KEY-----", "private-key"),
        ("X", "-----BEGIN PGP PRIVATE KEY BLOCK-----", "private-key"),
        (
            "DATABASE_URL",
            "postgres://app:Xk29vLpq7@db.internal:5432/app",
            "url-credentials",
        ),
        ("DB_PASSWORD", "Tr0ub4dor&3xq", "sensitive-name"),
    ];

    #[test]
    fn every_detector_fires() {
        for (name, value, want) in POSITIVES {
            assert_eq!(id(name, value), Some(want), "{name}");
        }
        assert_eq!(
            id("X", "-----BEGIN EC PRIVATE KEY-----"),
            Some("private-key")
        );
        assert_eq!(id("X", "-----BEGIN PRIVATE KEY-----"), Some("private-key"));
        assert_eq!(id("API_KEY", "q8Zt3LmW9xVb2"), Some("sensitive-name"));
        assert_eq!(id("dbPassword", "q8Zt3LmW9xVb2"), Some("sensitive-name"));
    }

    #[test]
    fn negatives_and_false_positive_guards() {
        for (name, value) in [
            ("X", "AKIAAAAAAAAAAAAAAAAA"),
            ("X", "AKIAIOSFODNN7EXAMPLE1"),
            ("X", "MYAKIAIOSFODNN7EXAMPLE"),
            ("NAME", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            ("X", "AIzaShort"),
            ("X", "ghp_short"),
            ("X", "xoxb-short"),
            ("X", "sk_live_"),
            ("X", "eyJhbGciOiJIUzI1NiJ9"),
            ("X", "eyJub3RhbGciOjF9.eyJzdWIiOiIxIn0.c2ln"),
            ("X", "-----BEGIN CERTIFICATE-----"),
            ("X", "-----BEGIN PUBLIC KEY-----"),
            ("DATABASE_URL", "postgres://app@db:5432/app"),
            ("DATABASE_URL", "postgres://app:${DB_PASS}@db/app"),
            ("DATABASE_URL", "https://example.com:8443/path"),
            ("DB_PASSWORD", "changeme"),
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            ("DB_PASSWORD", ""),
            ("DB_PASSWORD", "short"),
            ("DB_PASSWORD", "aaaaaaaaaaaa"),
            ("DB_PASSWORD_FILE", "Tr0ub4dor&3xq"),
            ("DB_PASSWORD", "/run/secrets/db-password"),
            ("TOKEN_TTL", "86400000000"),
            ("SECRET_NAME", "my-app-credentials"),
            ("LOG_LEVEL", "Tr0ub4dor&3xq"),
            ("API_TOKEN", "<your-token-here>"),
            ("API_TOKEN", "12345678901234"),
        ] {
            assert_eq!(id(name, value), None, "{name}={value}");
        }
    }

    #[test]
    fn base64_of_a_secret_is_detected_once() {
        let d = scan("X", &b64("-----BEGIN RSA PRIVATE KEY-----\nabc"), &CFG).unwrap();
        assert_eq!(
            d,
            Detection {
                id: "private-key",
                encoded: true
            }
        );
        let url_safe = b64("token ghp_R4nd0mT0k3nV4lu3W1thThirtySixChars12 ?>")
            .replace('+', "-")
            .replace('/', "_");
        assert_eq!(scan("X", &url_safe, &CFG).unwrap().id, "github-token");
        // base64 of base64 is not followed.
        assert_eq!(id("X", &b64(&b64("AKIAIOSFODNN7EXAMPLE"))), None);
        // Harmless base64 text passes.
        assert_eq!(id("X", &b64("hello world, this is just a config")), None);
    }

    #[test]
    fn disabled_detectors_are_skipped() {
        let disabled = vec!["aws-access-key-id".to_string()];
        let cfg = Config {
            disabled: &disabled,
            ..CFG
        };
        assert!(scan("X", "AKIAIOSFODNN7EXAMPLE", &cfg).is_none());
    }

    #[test]
    fn is_float_agrees_with_the_float_parser() {
        for v in [
            "",
            "+",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.5e-3",
            "1.",
            ".5",
            "-.5e2",
            "1_0",
            "0x10",
            "inf",
            "-Infinity",
            "NaN",
            "nAn",
            "+inf",
            "infinit",
            "1e5.0",
            "1..2",
            "12345678901234",
            "1.2.3",
            "١",
            "1 ",
            " 1",
            "1E+308",
            "9e9999",
            "--1",
            "+-1",
            "e",
            "E10",
            "00.00",
        ] {
            assert_eq!(is_float(v), v.parse::<f64>().is_ok(), "{v:?}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(decode_base64(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64(b"aGVsbG8").unwrap(), b"hello");
        assert!(decode_base64(b"a").is_none());
        assert!(decode_base64(b"a*bc").is_none());
        assert!(entropy("aaaa") < 0.01);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(sensitive_name("--db-password"));
        assert!(sensitive_name("clientSecret"));
        assert!(sensitive_name("STRIPE_API_KEY"));
        assert!(!sensitive_name("KEYCLOAK_REALM"));
        assert!(!sensitive_name("PUBLIC_KEY_PATH"));
        assert!(!sensitive_name(""));
    }
}
