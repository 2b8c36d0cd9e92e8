//! `policy_common::redact::value`: never panics, never longer than the cap plus the `…` it adds,
//! and a credential planted anywhere in the text (a GitHub `ghp_` token or an AWS `AKIA` key id,
//! with a body of its real alphabet) leaves no 8-byte piece of itself in the output.
//!
//! The credential is planted as text holds one: after and before something that is not a letter
//! or a digit (`key=AKIA…`, `"ghp_…"`, `/AKIA…/`), never glued inside a word (`regAKIA…istry`).
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use policy_common::redact::{MAX_CHARS, value};

#[derive(Debug, Arbitrary)]
struct Input {
    before: String,
    after: String,
    /// Which credential: a `ghp_` token or an `AKIA` key id.
    github: bool,
    /// The body, mapped onto the credential's alphabet.
    body: [u8; 36],
    /// What comes right before and right after the credential (indices into [`SEPARATORS`]).
    separators: (u8, u8),
}

/// What text puts around a credential: token characters of `redact` (`=`, `-`, `_`, `/`, `+`)
/// as much as others.
const SEPARATORS: [&str; 14] = [
    " ", "=", ":", "\"", "'", "/", "-", "_", "+", "@", ",", ".", "\n", "\t",
];

const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// AWS access key ids: `AKIA` and 16 characters of base32 (`A-Z2-7`).
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn planted(input: &Input) -> String {
    let (prefix, alphabet, len) = if input.github {
        ("ghp_", BASE62, 36)
    } else {
        ("AKIA", BASE32, 16)
    };
    let body = input.body[..len]
        .iter()
        .map(|b| alphabet[usize::from(*b) % alphabet.len()] as char);
    prefix.chars().chain(body).collect()
}

fuzz_target!(|input: Input| {
    // Any text alone.
    for text in [&input.before, &input.after] {
        let shown = value(text);
        assert!(
            shown.chars().count() <= MAX_CHARS + 1,
            "{} chars",
            shown.chars().count()
        );
    }
    // The same text with a credential planted between its two halves.
    let secret = planted(&input);
    let (l, r) = input.separators;
    let left = SEPARATORS[usize::from(l) % SEPARATORS.len()];
    let right = SEPARATORS[usize::from(r) % SEPARATORS.len()];
    let text = format!("{}{left}{secret}{right}{}", input.before, input.after);
    let shown = value(&text);
    assert!(
        shown.chars().count() <= MAX_CHARS + 1,
        "{} chars",
        shown.chars().count()
    );
    // A piece the surrounding text holds anyway is no leak.
    let around = format!("{}{left}\u{0}{right}{}", input.before, input.after);
    for window in secret.as_bytes().windows(8) {
        let piece = std::str::from_utf8(window).expect("ASCII");
        assert!(
            !shown.contains(piece) || around.contains(piece),
            "{piece:?} of the planted {secret:?} in {shown:?} (input {text:?})"
        );
    }
});
