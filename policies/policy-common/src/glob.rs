//! Small, allocation-free matchers for patterns found in policy settings.
//!
//! All matchers work directly on `&str` (UTF-8 aware: `?` matches one `char`), never allocate,
//! never panic and run in polynomial time: the wildcard matchers are iterative with at most two
//! restart points (no recursion, no exponential backtracking).

/// `*` matches any run of characters (including none), `?` one character; everything else
/// literal. Case-sensitive. There is no escaping and no character classes.
///
/// ```
/// use policy_common::glob::glob_match;
/// assert!(glob_match("ghcr.io/org/*", "ghcr.io/org/team/app"));
/// assert!(!glob_match("ghcr.io/org/*", "ghcr.io/other/app"));
/// ```
pub fn glob_match(pattern: &str, text: &str) -> bool {
    wildcard_match(pattern, text, None)
}

/// Like [`glob_match`] but a single `*` does not cross `sep` (e.g. `'/'` for repository paths,
/// `'.'` for host labels) and `?` never matches `sep`; `**` crosses it.
///
/// `**` (and any longer run of `*`) simply matches any run of characters, separators included,
/// anywhere in the pattern: `org/**` matches `org/a` and `org/a/b` but not `org` itself, and
/// `a/**/b` needs at least one separator-delimited component between `a` and `b` (it does not
/// match `a/b`, unlike the gitignore `**/` form).
///
/// ```
/// use policy_common::glob::glob_match_segments;
/// assert!(glob_match_segments("org/*", "org/app", '/'));
/// assert!(!glob_match_segments("org/*", "org/team/app", '/'));
/// assert!(glob_match_segments("org/**", "org/team/app", '/'));
/// ```
pub fn glob_match_segments(pattern: &str, text: &str, sep: char) -> bool {
    wildcard_match(pattern, text, Some(sep))
}

/// Matches a host pattern against a normalised registry host (`host[:port]`, as
/// [`crate::image::ImageRef::registry`] returns it).
///
/// * Exact pattern: equal to the host, ASCII case-insensitively. `docker.io` and
///   `index.docker.io` are the same host (the image parser normalises the latter to the former).
/// * `*.corp.example`: one or more whole labels followed by `.corp.example`. It never matches
///   `corp.example` itself, nor `corp.example.evil.io`, nor `evilcorp.example`.
/// * Ports: a pattern with a port (`registry.corp.example:5000`, `*.corp.example:443`) matches
///   only that port (compared numerically, so `05000` equals `5000`); a pattern **without** a
///   port matches only a host **without** a port. `localhost:5000` is a different registry from
///   `localhost`, so allowing one never allows the other.
/// * `*` anywhere else (a bare `*`, `registry.*.example`, `*corp.example`) is not a wildcard
///   and matches nothing. Empty or malformed patterns match nothing.
/// * IPv6 hosts are written in brackets: `[::1]:5000`.
pub fn host_match(pattern: &str, host: &str) -> bool {
    let (Some((p_host, p_port)), Some((h_host, h_port))) =
        (split_host_port(pattern), split_host_port(host))
    else {
        return false;
    };
    if p_host.is_empty() || h_host.is_empty() || h_host.contains('*') {
        return false;
    }
    let ports_equal = match (p_port, h_port) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            matches!((parse_port(a), parse_port(b)), (Some(x), Some(y)) if x == y)
        }
        _ => false,
    };
    if !ports_equal {
        return false;
    }

    if let Some(suffix) = p_host.strip_prefix("*.") {
        if suffix.is_empty() || suffix.contains('*') || suffix.starts_with('.') {
            return false;
        }
        // host = <labels> "." <suffix>, with at least one non-empty label.
        let Some(split) = h_host.len().checked_sub(suffix.len()) else {
            return false;
        };
        let (Some(labels), Some(tail)) = (h_host.get(..split), h_host.get(split..)) else {
            return false;
        };
        let Some(labels) = labels.strip_suffix('.') else {
            return false;
        };
        tail.eq_ignore_ascii_case(suffix)
            && !labels.is_empty()
            && labels.split('.').all(|l| !l.is_empty())
    } else {
        !p_host.contains('*')
            && (p_host.eq_ignore_ascii_case(h_host)
                || (is_docker_hub(p_host) && is_docker_hub(h_host)))
    }
}

/// `true` when `path` equals `prefix` or continues it at a boundary character from `boundaries`
/// (e.g. `&['/', ':', '@']`). Never a raw prefix match: `ubuntumalicious` does not match
/// `ubuntu`, `docker.io/mycompanyevil` does not match `docker.io/mycompany`. Case-sensitive.
///
/// When `prefix` itself ends with a boundary character (`docker.io/mycompany/`), any
/// continuation matches (the boundary is already part of the prefix), but `prefix` without that
/// character does not (`docker.io/mycompany` does not match `docker.io/mycompany/`).
/// An empty `prefix` matches only an empty `path`.
pub fn boundary_prefix_match(prefix: &str, path: &str, boundaries: &[char]) -> bool {
    if prefix.is_empty() {
        return path.is_empty();
    }
    let Some(rest) = path.strip_prefix(prefix) else {
        return false;
    };
    rest.is_empty() || prefix.ends_with(boundaries) || rest.starts_with(boundaries)
}

/// The `char` starting at byte `i` of `s`, if any (never panics).
fn char_at(s: &str, i: usize) -> Option<char> {
    s.get(i..).and_then(|r| r.chars().next())
}

/// Wildcard matcher. With `sep == None`, every star run is unrestricted.
///
/// Iterative with two restart points: the last single `*` (which may only grow over
/// non-separator characters) and the last unrestricted star run. Keeping only the most recent of
/// each is sufficient: a later single `*` in the same segment can absorb anything an earlier one
/// could, a single `*` in an earlier segment cannot change where later segments start, and an
/// unrestricted run absorbs anything any earlier star could. Each restart strictly advances its
/// text position, so the running time is polynomial (at most O(|text|² · |pattern|)).
fn wildcard_match(pattern: &str, text: &str, sep: Option<char>) -> bool {
    let pb = pattern.as_bytes();
    let (mut p, mut t) = (0usize, 0usize);
    // (pattern index after the star run, text index where the star's absorbed run ends)
    let mut star: Option<(usize, usize)> = None;
    let mut any: Option<(usize, usize)> = None;

    loop {
        match (char_at(pattern, p), char_at(text, t)) {
            (Some('*'), _) => {
                let mut end = p;
                while pb.get(end) == Some(&b'*') {
                    end += 1;
                }
                if end - p >= 2 || sep.is_none() {
                    any = Some((end, t));
                    star = None;
                } else {
                    star = Some((end, t));
                }
                p = end;
                continue;
            }
            (None, None) => return true,
            (Some('?'), Some(tc)) if Some(tc) != sep => {
                p += 1;
                t += tc.len_utf8();
                continue;
            }
            (Some(pc), Some(tc)) if pc != '?' && pc == tc => {
                p += pc.len_utf8();
                t += tc.len_utf8();
                continue;
            }
            _ => {}
        }

        // Mismatch (or one side exhausted): let the most recent star absorb one more character.
        if let Some((sp, st)) = star {
            match char_at(text, st) {
                Some(c) if Some(c) != sep => {
                    let next = st + c.len_utf8();
                    star = Some((sp, next));
                    p = sp;
                    t = next;
                    continue;
                }
                _ => star = None,
            }
        }
        if let Some((ap, at)) = any
            && let Some(c) = char_at(text, at)
        {
            let next = at + c.len_utf8();
            any = Some((ap, next));
            p = ap;
            t = next;
            continue;
        }
        return false;
    }
}

/// Splits `host[:port]` / `[ipv6][:port]`. `None` when malformed.
fn split_host_port(s: &str) -> Option<(&str, Option<&str>)> {
    if s.starts_with('[') {
        let close = s.find(']')?;
        let (host, after) = s.split_at(close + 1);
        match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => Some((h, Some(p))),
            None => Some((s, None)),
        }
    }
}

/// `[0-9]+` (leading zeros allowed) with a value in `0..=65535`.
fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = p.trim_start_matches('0');
    if trimmed.is_empty() {
        return Some(0);
    }
    if trimmed.len() > 5 {
        return None;
    }
    trimmed.parse().ok()
}

fn is_docker_hub(h: &str) -> bool {
    h.eq_ignore_ascii_case("docker.io") || h.eq_ignore_ascii_case("index.docker.io")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_basics() {
        let cases: &[(&str, &str, bool)] = &[
            ("", "", true),
            ("", "a", false),
            ("a", "", false),
            ("*", "", true),
            ("*", "anything/at:all", true),
            ("**", "", true),
            ("?", "", false),
            ("?", "a", true),
            ("?", "ab", false),
            ("?", "é", true),
            ("??", "é", false),
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("abc", "ABC", false),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "abcbc", true),
            ("a*b*c", "acb", false),
            ("*.io", "ghcr.io", true),
            ("*.io", "ghcr.iox", false),
            ("ghcr.io/org/*", "ghcr.io/org/team/app", true),
            ("ghcr.io/org/*", "ghcr.io/orgx/app", false),
            ("ghcr.io/org*", "ghcr.io/orgevil/app", true),
            ("*abc", "ababc", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*?", "", false),
            ("*?", "x", true),
            ("x*", "x", true),
            ("*x*", "yyxyy", true),
            ("*x*", "yyyy", false),
            ("nginx:1.*", "nginx:1.25", true),
            ("nginx:1.*", "nginx:10", false),
            ("é*ü", "éaaü", true),
        ];
        for &(p, t, want) in cases {
            assert_eq!(glob_match(p, t), want, "glob_match({p:?}, {t:?})");
        }
    }

    #[test]
    fn glob_segments() {
        let cases: &[(&str, &str, char, bool)] = &[
            ("org/*", "org/app", '/', true),
            ("org/*", "org/", '/', true),
            ("org/*", "org", '/', false),
            ("org/*", "org/team/app", '/', false),
            ("org/**", "org/team/app", '/', true),
            ("org/**", "org/app", '/', true),
            ("org/**", "org", '/', false),
            ("org/***", "org/a/b", '/', true),
            ("*/app", "org/app", '/', true),
            ("*/app", "org/team/app", '/', false),
            ("**/app", "org/team/app", '/', true),
            ("**/app", "org/team/apps", '/', false),
            ("a/*/c", "a/b/c", '/', true),
            ("a/*/c", "a/b/x/c", '/', false),
            ("a/**/c", "a/b/x/c", '/', true),
            ("a/**/c", "a/c", '/', false),
            ("a/**/*.x", "a/b/c/d.x", '/', true),
            ("a/**/*.x", "a/b/c/d.y", '/', false),
            ("a/**/*.x", "a/b/c.x/d", '/', false),
            ("**/b/*", "a/b/c", '/', true),
            ("**/b/*", "a/b/c/d", '/', false),
            ("**/b/**", "a/b/c/d", '/', true),
            ("*a*", "xxaxx", '/', true),
            ("*a*", "xx/axx", '/', false),
            ("*b/*b", "xb/yb", '/', true),
            ("*b/*b", "xbb/ybb", '/', true),
            ("*b/*b", "xb/y/b", '/', false),
            ("a?b", "a/b", '/', false),
            ("a?b", "a.b", '/', true),
            ("**", "a/b/c", '/', true),
            ("*", "a/b", '/', false),
            ("*", "", '/', true),
            // Host labels.
            ("*.corp.example", "registry.corp.example", '.', true),
            ("*.corp.example", "a.b.corp.example", '.', false),
            ("**.corp.example", "a.b.corp.example", '.', true),
            (
                "*.corp.example",
                "registry.corp.example.evil.io",
                '.',
                false,
            ),
            ("registry.*.example", "registry.corp.example", '.', true),
            ("registry.*.example", "registry.a.b.example", '.', false),
        ];
        for &(p, t, s, want) in cases {
            assert_eq!(
                glob_match_segments(p, t, s),
                want,
                "glob_match_segments({p:?}, {t:?}, {s:?})"
            );
        }
    }

    /// Reference implementation (exponential recursion) for cross-checking on small inputs.
    fn reference(p: &[char], t: &[char], sep: Option<char>) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => {
                let run = p.iter().take_while(|&&c| c == '*').count();
                let unrestricted = run >= 2 || sep.is_none();
                let rest = &p[run..];
                for i in 0..=t.len() {
                    if i > 0 && !unrestricted && Some(t[i - 1]) == sep {
                        break;
                    }
                    if reference(rest, &t[i..], sep) {
                        return true;
                    }
                }
                false
            }
            Some('?') => match t.first() {
                Some(&c) if Some(c) != sep => reference(&p[1..], &t[1..], sep),
                _ => false,
            },
            Some(&c) => t.first() == Some(&c) && reference(&p[1..], &t[1..], sep),
        }
    }

    #[test]
    fn matches_reference_exhaustively() {
        // All patterns over {a, /, *, ?} up to length 5 against all texts over {a, b, /} up to
        // length 5.
        fn strings(alphabet: &[char], max: usize) -> Vec<String> {
            let mut out = vec![String::new()];
            let mut frontier = vec![String::new()];
            for _ in 0..max {
                let mut next = Vec::new();
                for s in &frontier {
                    for &c in alphabet {
                        let mut n = s.clone();
                        n.push(c);
                        next.push(n);
                    }
                }
                out.extend(next.iter().cloned());
                frontier = next;
            }
            out
        }
        let patterns = strings(&['a', '/', '*', '?'], 5);
        let texts = strings(&['a', 'b', '/'], 5);
        for p in &patterns {
            let pc: Vec<char> = p.chars().collect();
            for t in &texts {
                let tc: Vec<char> = t.chars().collect();
                assert_eq!(
                    glob_match(p, t),
                    reference(&pc, &tc, None),
                    "glob_match({p:?}, {t:?})"
                );
                assert_eq!(
                    glob_match_segments(p, t, '/'),
                    reference(&pc, &tc, Some('/')),
                    "glob_match_segments({p:?}, {t:?})"
                );
            }
        }
    }

    #[test]
    fn no_exponential_blowup() {
        let text = "a".repeat(200);
        let pattern = format!("{}b", "a*".repeat(50));
        assert!(!glob_match(&pattern, &text));
        assert!(!glob_match_segments(&pattern, &text, '/'));
        let pattern = format!("{}b", "a**/*".repeat(30));
        let text = "a/".repeat(100);
        assert!(!glob_match_segments(&pattern, &text, '/'));
    }

    #[test]
    fn host_matching() {
        let cases: &[(&str, &str, bool)] = &[
            ("ghcr.io", "ghcr.io", true),
            ("GHCR.IO", "ghcr.io", true),
            ("ghcr.io", "GHCR.io", true),
            ("ghcr.io", "ghcr.io.evil.io", false),
            ("ghcr.io", "evilghcr.io", false),
            ("ghcr.io", "ghcr.io:443", false),
            ("ghcr.io:443", "ghcr.io", false),
            ("ghcr.io:443", "ghcr.io:443", true),
            ("ghcr.io:443", "ghcr.io:0443", true),
            ("ghcr.io:443", "ghcr.io:444", false),
            ("docker.io", "docker.io", true),
            ("index.docker.io", "docker.io", true),
            ("docker.io", "index.docker.io", true),
            ("*.corp.example", "registry.corp.example", true),
            ("*.corp.example", "a.b.corp.example", true),
            ("*.CORP.example", "Registry.corp.EXAMPLE", true),
            ("*.corp.example", "corp.example", false),
            ("*.corp.example", ".corp.example", false),
            ("*.corp.example", "a..corp.example", false),
            ("*.corp.example", "registry.corp.example.evil.io", false),
            ("*.corp.example", "evilcorp.example", false),
            ("*.corp.example", "registry.corp.example:5000", false),
            ("*.corp.example:5000", "registry.corp.example:5000", true),
            ("*.corp.example:5000", "registry.corp.example", false),
            ("*.corp.example:5000", "registry.corp.example:5001", false),
            ("*.corp.example", "é.corp.example", true),
            ("*.corp.example", "ü.example", false),
            ("localhost", "localhost", true),
            ("localhost", "localhost:5000", false),
            ("localhost:5000", "localhost:5000", true),
            ("[::1]:5000", "[::1]:5000", true),
            ("[::1]", "[::1]:5000", false),
            ("[::1]", "[::1]", true),
            ("*", "ghcr.io", false),
            ("*.", "ghcr.io", false),
            ("*.*.io", "a.b.io", false),
            ("registry.*.example", "registry.corp.example", false),
            ("*corp.example", "evilcorp.example", false),
            ("", "", false),
            ("", "ghcr.io", false),
            ("ghcr.io", "", false),
            ("ghcr.io:", "ghcr.io:", false),
            ("ghcr.io:abc", "ghcr.io:abc", false),
            ("ghcr.io:99999", "ghcr.io:99999", false),
            ("[::1", "[::1", false),
            ("*.corp.example", "*.corp.example", false),
        ];
        for &(p, h, want) in cases {
            assert_eq!(host_match(p, h), want, "host_match({p:?}, {h:?})");
        }
    }

    #[test]
    fn boundary_prefixes() {
        let b: &[char] = &['/', ':', '@'];
        let cases: &[(&str, &str, bool)] = &[
            ("ubuntu", "ubuntu", true),
            ("ubuntu", "ubuntu:22.04", true),
            ("ubuntu", "ubuntu@sha256:abc", true),
            ("ubuntu", "ubuntu/sub", true),
            ("ubuntu", "ubuntumalicious", false),
            ("ubuntu", "ubunt", false),
            ("ubuntu", "Ubuntu", false),
            ("docker.io/mycompany", "docker.io/mycompany/app", true),
            ("docker.io/mycompany", "docker.io/mycompany", true),
            ("docker.io/mycompany", "docker.io/mycompanyevil", false),
            ("docker.io/mycompany", "docker.io/mycompanyevil/app", false),
            ("docker.io/mycompany", "docker.io/mycompany.evil/app", false),
            ("docker.io/mycompany/", "docker.io/mycompany/app", true),
            ("docker.io/mycompany/", "docker.io/mycompany", false),
            (
                "registry.corp.example",
                "registry.corp.example.evil.io/app",
                false,
            ),
            ("registry.corp.example", "registry.corp.example/app", true),
            (
                "registry.corp.example",
                "registry.corp.example:5000/app",
                true,
            ),
            ("", "", true),
            ("", "anything", false),
            ("é", "é/x", true),
            ("é", "éx", false),
        ];
        for &(p, t, want) in cases {
            assert_eq!(
                boundary_prefix_match(p, t, b),
                want,
                "boundary_prefix_match({p:?}, {t:?})"
            );
        }
        assert!(!boundary_prefix_match("a", "a:b", &[]));
        assert!(boundary_prefix_match("a", "a", &[]));
    }
}
