//! The one redaction every value taken from a request passes through before it enters a
//! message, warning, audit annotation or log line: a policy may quote what it judges (an image
//! reference, a restartPolicy, a resource name), never a credential that rides along in it.
//!
//! [`value`] drops URL user info, masks the common credential shapes (token prefixes such as
//! `ghp_`, `AKIA`, `xoxb-`, PEM blocks, long runs that mix letters and digits) and cuts long
//! values, without linking any detector of secret-handling into the other modules.
//! [`quoted_in`] removes every quoted input value from a serde error message.

/// Longest quoted value, in characters; longer ones are cut with `…`. Above the longest valid
/// image reference name (255) so that a reference is quoted whole.
pub const MAX_CHARS: usize = 320;
/// A run of token characters this long that mixes letter cases and digits is masked.
const LONG_RUN: usize = 20;
/// What a masked run, or the user info of a URL, is replaced with.
const MASK: &str = "…";
/// Prefixes of well-known credential formats (GitHub, GitLab, Slack, AWS, Stripe, Google,
/// JWTs, npm, private-key blocks).
const TOKEN_PREFIXES: [&str; 18] = [
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxa-",
    "xoxb-",
    "xoxp-",
    "xoxr-",
    "xoxs-",
    "AKIA",
    "ASIA",
    "sk_live_",
    "rk_live_",
    "AIza",
    "npm_",
];

/// A value from the request, safe to quote: control characters replaced, URL user info
/// dropped, credential-shaped runs masked, cut to [`MAX_CHARS`].
pub fn value(text: &str) -> String {
    if crate::text::contains(text, "-----BEGIN") {
        return format!("-----BEGIN{MASK}");
    }
    let text = drop_user_info(text);
    let mut out = String::with_capacity(text.len().min(MAX_CHARS + 4));
    let mut run_start = None;
    for (i, c) in text.char_indices() {
        // A JWT's three parts are one run.
        let jwt_dot = c == '.' && run_start.is_some_and(|s| text[s..].starts_with("eyJ"));
        if is_token_char(c) || jwt_dot {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = run_start.take() {
            push_run(&mut out, &text[start..i]);
        }
        out.push(if c.is_control() { '?' } else { c });
    }
    if let Some(start) = run_start {
        push_run(&mut out, &text[start..]);
    }
    match out.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => {
            out.truncate(cut);
            out.push('…');
            out
        }
        None => out,
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '=')
}

/// Appends one run of token characters, masked when it looks like a credential.
fn push_run(out: &mut String, run: &str) {
    if looks_like_credential(run) {
        out.push_str(MASK);
    } else {
        out.push_str(run);
    }
}

fn looks_like_credential(run: &str) -> bool {
    // A known prefix anywhere in the run (`--key=AKIA…`, `path/ghp_…`) with a body after it.
    if TOKEN_PREFIXES
        .iter()
        .any(|p| crate::text::find(run, p).is_some_and(|i| run.len() - i - p.len() >= 8))
    {
        return true;
    }
    if run.len() < LONG_RUN {
        return false;
    }
    if run.starts_with("eyJ") && run.contains('.') {
        return true;
    }
    // Generated secrets (base64, base62) mix digits with letters, and upper case or `+`/`=`;
    // Kubernetes names and repository paths are lower case, digests lower-case hex.
    let (mut letter, mut upper, mut digit, mut symbol) = (false, false, false, false);
    for b in run.bytes() {
        letter |= b.is_ascii_alphabetic();
        upper |= b.is_ascii_uppercase();
        digit |= b.is_ascii_digit();
        symbol |= b == b'+' || b == b'=';
    }
    letter && digit && (upper || symbol)
}

/// `scheme://user:password@host/…` and `user:password@host/…` lose their user info, wherever
/// they stand in the text (`/x/user:password@host/…` too). A digest (`name:tag@sha256:…`) and a
/// bare `name@host` are kept.
fn drop_user_info(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    for (at, _) in text.match_indices('@') {
        let start = text[..at].rfind('/').map_or(0, |i| i + 1).max(copied);
        let user = &text[start..at];
        let host = &text[at + 1..];
        let with_scheme = text[..start].ends_with("://");
        let host_like = host.split('/').next().is_some_and(|h| h.contains('.'));
        if !host.starts_with("sha") && (with_scheme || (user.contains(':') && host_like)) {
            out.push_str(&text[copied..start]);
            out.push_str(MASK);
            copied = at;
        }
    }
    if copied == 0 {
        return text.into();
    }
    out.push_str(&text[copied..]);
    out.into()
}

/// Replaces input values quoted in a serde message with `…`: every `"double-quoted"` part, and
/// the back-quoted value of ``unknown variant `...` ``. Back-quoted field names (``missing field
/// `settings` ``) are kept: they come from our own types, not from the input.
pub fn quoted_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<char> = None;
    for c in text.chars() {
        match open {
            None if c == '"' || (c == '`' && out.ends_with("variant ")) => {
                open = Some(c);
                out.push(c);
                out.push('…');
            }
            Some(q) if c == q => {
                open = None;
                out.push(c);
            }
            Some(_) => {}
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_kept() {
        for keep in [
            "nginx:1.25",
            "ghcr.io/org/app:v1.2.3",
            "Always",
            "secrets",
            "docker.io/library/nginx@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "my-service-account",
        ] {
            assert_eq!(value(keep), keep);
        }
    }

    #[test]
    fn credentials_are_masked() {
        let planted = [
            "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "xoxb-2134567890-abcdefABCDEF",
            "glpat-AbCdEf1234567890xyzQ",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        ];
        for secret in planted {
            for text in [
                secret.to_owned(),
                format!("ghcr.io/org/app:{secret}"),
                format!("https://user:{secret}@registry.example/app"),
            ] {
                let shown = value(&text);
                for window in secret.as_bytes().windows(8) {
                    let piece = std::str::from_utf8(window).unwrap();
                    assert!(!shown.contains(piece), "{piece:?} of {secret} in {shown:?}");
                }
            }
        }
    }

    #[test]
    fn user_info_goes_and_digests_stay() {
        assert_eq!(
            value("https://bob:hunter2@registry.example/app:1"),
            "https://…@registry.example/app:1"
        );
        assert_eq!(
            value("bob:hunter2@registry.example/app"),
            "…@registry.example/app"
        );
        let digest =
            "nginx@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(value(digest), digest);
        assert_eq!(
            value("-----BEGIN RSA PRIVATE KEY-----\nMIIE"),
            "-----BEGIN…"
        );
    }

    #[test]
    fn long_values_are_cut_and_controls_replaced() {
        let long = "a".repeat(MAX_CHARS + 50);
        let shown = value(&long);
        assert_eq!(shown.chars().count(), MAX_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(value("a\nb\tc"), "a?b?c");
    }

    #[test]
    fn serde_messages_lose_their_quoted_values() {
        assert_eq!(
            quoted_in("invalid type: string \"hunter2\", expected a list"),
            "invalid type: string \"…\", expected a list"
        );
        assert_eq!(
            quoted_in("unknown variant `block`, expected `deny`"),
            "unknown variant `…`, expected `deny`"
        );
    }
}
