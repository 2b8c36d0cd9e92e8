//! Cloud provider keys: AWS, GCP, Azure.

use super::chars::{
    contains_ignore_case, entropy, is_b64, is_b64url, is_upper_b32, prefixed_runs, run,
    starts_token,
};
use policy_common::text::{contains, occurrences};

/// `(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}`, as a whole token.
pub(super) fn aws_access_key_id(value: &str) -> bool {
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
pub(super) fn aws_secret_access_key(name: &str, value: &str) -> bool {
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
pub(super) fn gcp_api_key(value: &str) -> bool {
    prefixed_runs(value, "AIza", is_b64url, is_b64url).any(|(_, n)| n == 35)
}

/// A service-account key file: JSON with `"type": "service_account"` and a private key.
pub(super) fn gcp_service_account(value: &str) -> bool {
    contains(value, "service_account")
        && contains(value, "\"private_key")
        && contains(value, "\"type\"")
}

/// `AccountKey=<88 base64>` in a connection string, or an 88-character key under an Azure name.
pub(super) fn azure_storage_key(name: &str, value: &str) -> bool {
    let bytes = value.as_bytes();
    let key_len = |at: usize| {
        let n = run(bytes, at, is_b64);
        let pad = run(bytes, at + n, |b| b == b'=');
        (n, pad)
    };
    const KEY: [&str; 2] = ["ccountKey=", "ccountkey="];
    let lower_hit = KEY.into_iter().any(|key| {
        occurrences(value, key).any(|i| {
            let (n, pad) = key_len(i + key.len());
            n + pad == 88 && n >= 86
        })
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
