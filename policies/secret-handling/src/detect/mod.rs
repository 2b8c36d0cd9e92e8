//! Built-in credential detectors: hand-written scanners, no regexes and no start-up tables.
//!
//! Every scanner first looks for a cheap keyword (a token prefix, `://`, `-----BEGIN `) with
//! `str::find`, so a value without any of them costs a handful of substring searches. Only then
//! are charset, length and entropy checked around the hit.

mod base64;
mod chars;
mod cloud;
mod credentials;
mod names;
mod tokens;

pub use base64::{decode_base64, decode_base64_text};
pub use chars::entropy;
use cloud::{
    aws_access_key_id, aws_secret_access_key, azure_storage_key, gcp_api_key, gcp_service_account,
};
use credentials::{private_key, url_credentials};
use names::sensitive_literal;
pub use names::{SensitiveNames, is_placeholder};
use tokens::{github_token, gitlab_token, jwt, slack_token, slack_webhook, stripe_key};

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
    /// The sensitive-name detector's names in force.
    pub names: SensitiveNames<'a>,
    /// Report every literal under a sensitive name, not only long high-entropy ones.
    pub any_value: bool,
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

/// The format-specific detectors (everything but the sensitive-name heuristic), each with the
/// shortest value it can fire on: most values a pod carries (`info`, `8080`, `--port=8080`) are
/// shorter than every token format, and skip the scans.
fn scan_tokens(name: &str, value: &str, cfg: &Config<'_>) -> Option<&'static str> {
    type Scanner = fn(&str, &str) -> bool;
    let scanners: [(&'static str, usize, Scanner); 13] = [
        // `service_account`, `"private_key`, `"type"`.
        ("gcp-service-account", 33, |_, v| gcp_service_account(v)),
        // `-----BEGIN ` + a label ending in `PRIVATE KEY` + `-----`.
        ("private-key", 27, |_, v| private_key(v)),
        ("aws-access-key-id", 20, |_, v| aws_access_key_id(v)),
        ("aws-secret-access-key", 40, aws_secret_access_key),
        ("gcp-api-key", 39, |_, v| gcp_api_key(v)),
        ("azure-storage-key", 88, azure_storage_key),
        ("github-token", 40, |_, v| github_token(v)),
        ("gitlab-token", 25, |_, v| gitlab_token(v)),
        ("slack-token", 25, |_, v| slack_token(v)),
        ("slack-webhook", 45, |_, v| slack_webhook(v)),
        ("stripe-key", 24, |_, v| stripe_key(v)),
        // A 10-character header, a dot, 2 characters of payload, a dot.
        ("jwt", 14, |_, v| jwt(v)),
        // `ab://` + `:` + a 3-character password + `@` + a host.
        ("url-credentials", 11, |_, v| url_credentials(v)),
    ];
    scanners
        .into_iter()
        .find(|(id, shortest, scan)| value.len() >= *shortest && cfg.on(id) && scan(name, value))
        .map(|(id, _, _)| id)
}

#[cfg(test)]
mod tests;
