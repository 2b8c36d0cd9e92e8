//! VCS, chat and payment tokens, and JWTs.

use super::base64::decode_base64;
use super::chars::{is_b64url, prefixed_runs, run, starts_token};
use policy_common::text::occurrences;

pub(super) fn github_token(value: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .into_iter()
        .any(|p| prefixed_runs(value, p, alnum, alnum).any(|(_, n)| n >= 36))
        || prefixed_runs(value, "github_pat_", alnum, word).any(|(_, n)| n >= 82)
}

pub(super) fn gitlab_token(value: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    ["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-"]
        .into_iter()
        .any(|p| prefixed_runs(value, p, alnum, is_b64url).any(|(_, n)| n >= 20))
}

/// `xox[baprse]-` followed by a digit-bearing run of at least 20 characters.
pub(super) fn slack_token(value: &str) -> bool {
    let bytes = value.as_bytes();
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    let body = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    occurrences(value, "xox").any(|i| {
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

pub(super) fn slack_webhook(value: &str) -> bool {
    let body = |b: u8| b.is_ascii_alphanumeric() || b == b'/' || b == b'_';
    const HOOK: &str = "hooks.slack.com/services/";
    occurrences(value, HOOK).any(|i| run(value.as_bytes(), i + HOOK.len(), body) >= 20)
}

pub(super) fn stripe_key(value: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    [
        "sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_",
    ]
    .into_iter()
    .any(|p| prefixed_runs(value, p, alnum, alnum).any(|(_, n)| n >= 16))
}

/// Three base64url segments whose first decodes to a JSON object with an `alg`.
pub(super) fn jwt(value: &str) -> bool {
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
