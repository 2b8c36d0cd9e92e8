//! `policy_common::redact::value`: never panics, never longer than the cap plus the `…` it adds,
//! and a credential planted anywhere in the text (a GitHub `ghp_` token or an AWS `AKIA` key id,
//! with a body of its real alphabet) leaves no 8-byte piece of itself in the output.
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
}

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
        assert!(shown.chars().count() <= MAX_CHARS + 1, "{} chars", shown.chars().count());
    }
    // The same text with a credential planted between its two halves.
    let secret = planted(&input);
    let text = format!("{}{secret}{}", input.before, input.after);
    let shown = value(&text);
    assert!(shown.chars().count() <= MAX_CHARS + 1, "{} chars", shown.chars().count());
    // A piece the surrounding text holds anyway is no leak.
    let around = format!("{}\u{0}{}", input.before, input.after);
    for window in secret.as_bytes().windows(8) {
        let piece = std::str::from_utf8(window).expect("ASCII");
        assert!(
            !shown.contains(piece) || around.contains(piece),
            "{piece:?} of the planted {secret:?} in {shown:?} (input {text:?})"
        );
    }
});
