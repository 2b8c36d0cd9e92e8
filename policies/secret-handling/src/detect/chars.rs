//! Character classes and scanning helpers shared by the detectors.

use policy_common::text::occurrences;

pub(super) fn is_upper_b32(b: u8) -> bool {
    b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)
}
pub(super) fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}
pub(super) fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Length of the run of `pred` bytes starting at `start`.
pub(super) fn run(bytes: &[u8], start: usize, pred: fn(u8) -> bool) -> usize {
    bytes
        .get(start..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| pred(b)).count())
}

/// True when the byte before `at` does not continue a token of class `pred`.
pub(super) fn starts_token(bytes: &[u8], at: usize, pred: fn(u8) -> bool) -> bool {
    at == 0 || !pred(bytes[at - 1])
}

/// Every occurrence of `prefix` that starts a token, with the length of the run after it.
pub(super) fn prefixed_runs<'a>(
    value: &'a str,
    prefix: &'a str,
    token: fn(u8) -> bool,
    body: fn(u8) -> bool,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    let bytes = value.as_bytes();
    occurrences(value, prefix)
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

pub(super) fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}
