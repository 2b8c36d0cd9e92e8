//! Standard and url-safe base64, for values that hide a credential one encoding deep.

use super::chars::{is_b64, is_b64url};

pub(super) fn b64_value(b: u8) -> Option<u8> {
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
