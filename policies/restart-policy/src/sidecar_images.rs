//! The sidecar image allow-list: entries are image references, normalised with the shared parser,
//! or globs over normalised references.
//!
//! - `istio/proxyv2` (no tag, no digest): any tag or digest of `docker.io/istio/proxyv2`;
//! - `istio/proxyv2:1.22.0`, `…@sha256:…`: that tag (and/or digest) only;
//! - with `*`/`?`: the registry part is matched with `host_match` (`*.corp.example`), the rest
//!   with a `/`-aware glob (`*` stays within one path component, `**` crosses them) against
//!   `repository`, or against `repository:tag[@digest]` when the pattern names a tag or digest.

use policy_common::glob::{glob_match_segments, host_match};
use policy_common::image::ImageRef;

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// Splits a glob into (registry, rest) with Docker Hub normalisation, as the image parser does.
fn split_glob(pattern: &str) -> (String, String) {
    match pattern.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':']) || first.eq_ignore_ascii_case("localhost") =>
        {
            (first.to_ascii_lowercase(), rest.to_string())
        }
        Some(_) => ("docker.io".to_string(), pattern.to_string()),
        None => ("docker.io".to_string(), format!("library/{pattern}")),
    }
}

pub fn validate_pattern(pattern: &str) -> Result<(), String> {
    if pattern.trim().is_empty() {
        return Err("must not be empty".to_string());
    }
    if !is_glob(pattern) {
        return ImageRef::parse(pattern)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    if pattern.chars().any(|c| !c.is_ascii_graphic()) {
        return Err("a pattern must be printable ASCII without whitespace".to_string());
    }
    let (registry, rest) = split_glob(pattern);
    if rest.is_empty() || registry.is_empty() {
        return Err("a pattern needs a repository part, e.g. ghcr.io/org/*".to_string());
    }
    Ok(())
}

pub fn matches(pattern: &str, image: &ImageRef) -> bool {
    if !is_glob(pattern) {
        let Ok(allowed) = ImageRef::parse(pattern) else {
            return false;
        };
        return allowed.registry() == image.registry()
            && allowed.repository() == image.repository()
            && allowed.tag().is_none_or(|t| image.tag() == Some(t))
            && allowed.digest().is_none_or(|d| image.digest() == Some(d));
    }
    let (registry, rest) = split_glob(pattern);
    if !(registry == image.registry()
        || (registry.contains('*') && host_match(&registry, image.registry())))
    {
        return false;
    }
    if rest.contains([':', '@']) {
        let mut text = image.repository().to_string();
        if let Some(tag) = image.effective_tag() {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(d) = image.digest() {
            text.push('@');
            text.push_str(&d.to_string());
        }
        glob_match_segments(&rest, &text, '/')
    } else {
        glob_match_segments(&rest, image.repository(), '/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn m(pattern: &str, image: &str) -> bool {
        validate_pattern(pattern).unwrap();
        matches(pattern, &ImageRef::parse(image).unwrap())
    }

    #[test]
    fn plain_references_are_normalised() {
        assert!(m("istio/proxyv2", "docker.io/istio/proxyv2:1.22.0"));
        assert!(m(
            "docker.io/istio/proxyv2",
            "index.docker.io/istio/proxyv2"
        ));
        assert!(m("envoyproxy/envoy:v1.30", "envoyproxy/envoy:v1.30"));
        assert!(!m("envoyproxy/envoy:v1.30", "envoyproxy/envoy:v1.31"));
        assert!(!m("istio/proxyv2", "istio/proxyv2-evil:1"));
        assert!(!m("istio/proxyv2", "ghcr.io/istio/proxyv2:1"));
        assert!(m("busybox", "library/busybox:1.36"));
        let pinned = format!("ghcr.io/org/agent@{DIGEST}");
        assert!(m(&pinned, &format!("ghcr.io/org/agent:1.0@{DIGEST}")));
        assert!(!m(&pinned, "ghcr.io/org/agent:1.0"));
    }

    #[test]
    fn globs() {
        assert!(m("ghcr.io/org/*", "ghcr.io/org/agent:1.0"));
        assert!(!m("ghcr.io/org/*", "ghcr.io/org/team/agent:1.0"));
        assert!(m("ghcr.io/org/**", "ghcr.io/org/team/agent:1.0"));
        assert!(!m("ghcr.io/org/*", "ghcr.io/organisation/agent"));
        assert!(!m("ghcr.io/org/*", "ghcr.io.evil.com/org/agent"));
        assert!(m(
            "*.corp.example/sidecars/*",
            "registry.corp.example/sidecars/log"
        ));
        assert!(!m("*.corp.example/sidecars/*", "corp.example/sidecars/log"));
        assert!(m("istio/proxyv2:1.2*", "istio/proxyv2:1.22.0"));
        assert!(!m("istio/proxyv2:1.2*", "istio/proxyv2:1.30.0"));
        assert!(m("istio/*", "docker.io/istio/proxyv2"));
        assert!(m("nginx*", "nginx-sidecar:1"));
    }

    #[test]
    fn invalid_patterns() {
        assert!(validate_pattern("").is_err());
        assert!(validate_pattern("Istio/Proxy").is_err());
        assert!(validate_pattern("ghcr.io/").is_err());
        assert!(validate_pattern("ghcr.io/a b*").is_err());
        assert!(!matches("ghcr.io/ x", &ImageRef::parse("nginx").unwrap()));
    }
}
