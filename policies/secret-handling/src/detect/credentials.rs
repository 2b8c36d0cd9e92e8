//! Private keys in PEM form and passwords in URLs.

use super::names::is_placeholder;
use policy_common::text::{find, occurrences};

/// `-----BEGIN <label>-----` where the label is a private key (RSA, EC, DSA, OPENSSH, PKCS#8,
/// encrypted) or a PGP private key block.
pub(super) fn private_key(value: &str) -> bool {
    const BEGIN: &str = "-----BEGIN ";
    occurrences(value, BEGIN).any(|i| {
        let rest = &value[i + BEGIN.len()..];
        let Some(end) = find(rest, "-----").filter(|&e| e <= 40) else {
            return false;
        };
        let label = &rest[..end];
        label.ends_with("PRIVATE KEY") || label == "PGP PRIVATE KEY BLOCK"
    })
}

/// `scheme://user:password@host` with a password that is not a placeholder.
pub(super) fn url_credentials(value: &str) -> bool {
    let bytes = value.as_bytes();
    occurrences(value, "://").any(|i| {
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
