//! Image reference normalisation for world lookups and signature globs.
//!
//! Uses `policy_common::image::ImageRef`, so the host and the policies agree on what
//! `nginx:1.25` means. References it rejects (a world may hold odd keys on purpose) fall
//! back to the same docker rules applied leniently: default registry `docker.io`,
//! `library/` for single-name Docker Hub images, `latest` when neither tag nor digest.

use policy_common::image::ImageRef;

/// `registry/repository[:tag][@digest]`.
pub fn normalise(reference: &str) -> String {
    let reference = reference.trim();
    match ImageRef::parse(reference) {
        Ok(image) => image.to_string(),
        Err(_) => normalise_leniently(reference),
    }
}

fn normalise_leniently(reference: &str) -> String {
    let (name, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    };
    // A tag is after the last ':' that follows the last '/' (a registry port is not a tag).
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    let (registry, path) = match repository.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first, rest.to_owned())
        }
        _ => ("docker.io", repository.to_owned()),
    };
    let registry = if registry == "index.docker.io" {
        "docker.io"
    } else {
        registry
    };
    let path = if registry == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    let mut out = format!("{registry}/{path}");
    match (tag, digest) {
        (Some(tag), _) => out.push_str(&format!(":{tag}")),
        (None, None) => out.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(digest) = digest {
        out.push_str(&format!("@{digest}"));
    }
    out
}

/// The normalised reference without its `@digest` part.
pub fn without_digest(normalised: &str) -> &str {
    normalised
        .split_once('@')
        .map_or(normalised, |(name, _)| name)
}

/// Shell-style glob: `*` matches any run of characters (including `/`), `?` one character.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_defaults() {
        assert_eq!(normalise("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(normalise("nginx:1.25"), "docker.io/library/nginx:1.25");
        assert_eq!(
            normalise("docker.io/library/nginx:1.25"),
            "docker.io/library/nginx:1.25"
        );
        assert_eq!(normalise("bitnami/redis"), "docker.io/bitnami/redis:latest");
        assert_eq!(normalise("ghcr.io/org/app:1.0"), "ghcr.io/org/app:1.0");
        assert_eq!(normalise("localhost:5000/app"), "localhost:5000/app:latest");
        assert_eq!(
            normalise("ghcr.io/org/app@sha256:ab"),
            "ghcr.io/org/app@sha256:ab"
        );
        assert_eq!(
            normalise("ghcr.io/org/app:1@sha256:ab"),
            "ghcr.io/org/app:1@sha256:ab"
        );
    }

    #[test]
    fn globs() {
        assert!(glob_matches("ghcr.io/org/*", "ghcr.io/org/app:1.0"));
        assert!(!glob_matches("ghcr.io/org/*", "ghcr.io/other/app:1.0"));
        assert!(glob_matches("*:1.?", "docker.io/library/nginx:1.2"));
        assert!(glob_matches("*", ""));
    }
}
