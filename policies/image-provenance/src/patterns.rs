//! Settings patterns, normalised once at deserialisation so that they are compared with parsed
//! references on the same footing (`nginx` in a setting means `docker.io/library/nginx`).
//!
//! Invalid patterns fail deserialisation, so `validate_settings` names the exact setting path.

use policy_common::glob::{boundary_prefix_match, glob_match, glob_match_segments, host_match};
use policy_common::image::{Digest, ImageRef};
use serde::Deserialize;
use std::fmt;

const DOCKER_HUB: &str = "docker.io";

/// The first component of a name is a registry when it contains '.' or ':' or is `localhost`
/// (the distribution/reference rule); a leading `*.` label glob counts as a registry too.
fn looks_like_registry(first: &str) -> bool {
    first.contains(['.', ':']) || first.eq_ignore_ascii_case("localhost")
}

/// Normalises `host[:port]` with the shared parser (lower-case host, `index.docker.io` is
/// `docker.io`, port without leading zeros), keeping a leading `*.` wildcard.
fn normalise_host(pattern: &str) -> Result<String, String> {
    let (wildcard, host) = match pattern.strip_prefix("*.") {
        Some(rest) => ("*.", rest),
        None => ("", pattern),
    };
    if host.contains('/') {
        return Err(format!(
            "'{pattern}' is not a registry host[:port] (no scheme, no path)"
        ));
    }
    if host.contains('*') {
        return Err(format!(
            "'{pattern}': only a leading '*.' wildcard is allowed in a registry host"
        ));
    }
    if !looks_like_registry(host) {
        return Err(format!(
            "'{pattern}' is not a registry host (it needs a '.' or a ':port', or must be localhost)"
        ));
    }
    let probe = format!("{host}/x");
    match ImageRef::parse(&probe) {
        Ok(r) => Ok(format!("{wildcard}{}", r.registry())),
        Err(_) => Err(format!(
            "'{pattern}' is not a registry host[:port] (no scheme, no path)"
        )),
    }
}

/// A registry host pattern: `registry.corp.example`, `localhost:5000` or `*.corp.example`.
/// Matched with `host_match`, never as a string prefix.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HostPattern(String);

impl HostPattern {
    pub fn matches(&self, registry: &str) -> bool {
        host_match(&self.0, registry)
    }
}

impl TryFrom<String> for HostPattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        normalise_host(&s).map(HostPattern)
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `registry/repository[:tag][@digest]` with globs: the registry as a host pattern, the
/// repository with `*` inside one path segment and `**` across segments, the tag with `*`/`?`.
/// Without a tag (and digest) it matches every tag of the repository.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ImagePattern {
    registry: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

fn valid_glob_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'*' | b'?'))
        && !tag.starts_with(['.', '-'])
}

fn valid_glob_path(path: &str) -> bool {
    path.split('/').all(|c| {
        !c.is_empty()
            && c.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'_' | b'-' | b'*' | b'?')
            })
    })
}

impl TryFrom<String> for ImagePattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let (rest, digest) = match s.split_once('@') {
            Some((name, d)) => {
                let digest = d.parse::<Digest>().map_err(|e| format!("'{s}': {e}"))?;
                (name, Some(digest))
            }
            None => (s.as_str(), None),
        };
        let last_slash = rest.rfind('/');
        let (name, tag) = match rest.rfind(':') {
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
                let tag = &rest[colon + 1..];
                if !valid_glob_tag(tag) {
                    return Err(format!(
                        "'{s}': tag '{tag}' must be [A-Za-z0-9_.-] with optional '*' or '?' globs"
                    ));
                }
                (&rest[..colon], Some(tag.to_owned()))
            }
            _ => (rest, None),
        };
        let (registry, path) = match name.split_once('/') {
            Some((first, path)) if looks_like_registry(first) => (
                normalise_host(first).map_err(|e| format!("'{s}': {e}"))?,
                path,
            ),
            _ => (DOCKER_HUB.to_owned(), name),
        };
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "'{s}': repository must be lower-case (an upper-case repository is never a valid image)"
            ));
        }
        if !valid_glob_path(path) {
            return Err(format!(
                "'{s}': repository must be '/'-separated non-empty components of [a-z0-9._-] with optional '*', '**' or '?' globs"
            ));
        }
        // As in distribution/reference: a one-component Docker Hub repository is an official
        // image, so `nginx` and `docker.io/nginx` both mean `docker.io/library/nginx`.
        let path = if registry == DOCKER_HUB && !path.contains('/') && !path.contains("**") {
            format!("library/{path}")
        } else {
            path.to_owned()
        };
        Ok(ImagePattern {
            registry,
            path,
            tag,
            digest,
        })
    }
}

impl ImagePattern {
    pub fn matches(&self, image: &ImageRef) -> bool {
        if !host_match(&self.registry, image.registry())
            || !glob_match_segments(&self.path, image.repository(), '/')
        {
            return false;
        }
        if let Some(tag) = &self.tag {
            // `nginx` is pulled as `latest`, so `nginx:latest` names it; a digest-only reference
            // has no tag and matches no tagged entry.
            if !image.effective_tag().is_some_and(|t| glob_match(tag, t)) {
                return false;
            }
        }
        match &self.digest {
            Some(d) => image.digest() == Some(d),
            None => true,
        }
    }
}

impl fmt::Display for ImagePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// A repository prefix matched on a `/`, `:` or `@` boundary against the normalised reference:
/// `ghcr.io/org` covers `ghcr.io/org/app:1` but not `ghcr.io/organisation/app`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PrefixPattern(String);

const BOUNDARIES: [char; 3] = ['/', ':', '@'];

impl TryFrom<String> for PrefixPattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.contains(['*', '?']) {
            return Err(format!(
                "'{s}': a repository prefix takes no globs (it matches on '/', ':' or '@' boundaries)"
            ));
        }
        // A lone host (`ghcr.io`, `localhost:5000`) is a registry prefix; anything else is
        // normalised like a reference (`nginx` is `docker.io/library/nginx`).
        let lone_host = !s.contains('/')
            && match s.split_once(':') {
                Some((host, port)) => {
                    looks_like_registry(host) && port.bytes().all(|b| b.is_ascii_digit())
                }
                None => looks_like_registry(&s),
            };
        if lone_host {
            return normalise_host(&s).map(PrefixPattern);
        }
        let image = ImageRef::parse(&s).map_err(|e| format!("'{s}': {e}"))?;
        let prefix = match (image.tag(), image.digest()) {
            (None, None) => image.name(),
            _ => image.to_string(),
        };
        Ok(PrefixPattern(prefix))
    }
}

impl PrefixPattern {
    pub fn matches(&self, image: &ImageRef) -> bool {
        boundary_prefix_match(&self.0, &image.to_string(), &BOUNDARIES)
    }
}

impl fmt::Display for PrefixPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A semantic version as a tag can spell it: `[v]MAJOR.MINOR.PATCH[-prerelease]` (tags cannot
/// hold semver's `+build`). Numbers have no leading zeros, as semver requires.
pub fn is_semver_tag(tag: &str) -> bool {
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let (core, pre) = match tag.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (tag, None),
    };
    let numeric = |n: &str| {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
    };
    let mut parts = core.split('.');
    let core_ok = (0..3).all(|_| parts.next().is_some_and(numeric)) && parts.next().is_none();
    let pre_ok = pre.is_none_or(|p| {
        p.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id))
        })
    });
    core_ok && pre_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    fn host(s: &str) -> HostPattern {
        HostPattern::try_from(s.to_owned()).unwrap()
    }

    fn pattern(s: &str) -> ImagePattern {
        ImagePattern::try_from(s.to_owned()).unwrap()
    }

    fn prefix(s: &str) -> PrefixPattern {
        PrefixPattern::try_from(s.to_owned()).unwrap()
    }

    #[test]
    fn host_patterns_are_normalised_and_never_prefixes() {
        assert_eq!(host("GHCR.IO").to_string(), "ghcr.io");
        assert_eq!(host("index.docker.io").to_string(), "docker.io");
        assert_eq!(host("localhost:05000").to_string(), "localhost:5000");
        assert!(host("registry.corp.example").matches("registry.corp.example"));
        assert!(!host("registry.corp.example").matches("registry.corp.example.evil.io"));
        assert!(!host("registry.corp.example").matches("registry.corp.example:5000"));
        assert!(host("*.corp.example").matches("eu.registry.corp.example"));
        assert!(!host("*.corp.example").matches("corp.example"));
        assert!(!host("*.corp.example").matches("evilcorp.example"));
        assert!(host("docker.io").matches(image("nginx").registry()));
        for bad in [
            "https://ghcr.io",
            "corp",
            "reg.*.example",
            "*",
            "ghcr.io/org",
            "",
        ] {
            assert!(HostPattern::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_patterns_use_segment_boundaries() {
        assert_eq!(pattern("nginx").to_string(), "docker.io/library/nginx");
        assert_eq!(
            pattern("docker.io/nginx").to_string(),
            "docker.io/library/nginx"
        );
        assert_eq!(pattern("bitnami/*").to_string(), "docker.io/bitnami/*");
        assert!(pattern("nginx").matches(&image("nginx:1.25")));
        assert!(pattern("nginx").matches(&image(&format!(
            "index.docker.io/library/nginx@sha256:{}",
            "a".repeat(64)
        ))));
        assert!(!pattern("ubuntu").matches(&image("ubuntumalicious")));
        assert!(!pattern("docker.io/mycompany/*").matches(&image("mycompanyevil/app")));
        assert!(pattern("ghcr.io/org/*").matches(&image("ghcr.io/org/app")));
        assert!(!pattern("ghcr.io/org/*").matches(&image("ghcr.io/org/team/app")));
        assert!(pattern("ghcr.io/org/**").matches(&image("ghcr.io/org/team/app")));
        assert!(pattern("*.corp.example/**").matches(&image("eu.corp.example/a/b:1")));
        assert!(!pattern("*.corp.example/**").matches(&image("corp.example.evil.io/a/b:1")));
    }

    #[test]
    fn image_patterns_with_tags_and_digests() {
        assert!(pattern("nginx:1.25").matches(&image("nginx:1.25")));
        assert!(!pattern("nginx:1.25").matches(&image("nginx:1.26")));
        assert!(
            pattern("nginx:latest").matches(&image("nginx")),
            "implicit latest"
        );
        assert!(pattern("nginx:1.*").matches(&image("nginx:1.27-alpine")));
        let d = format!("sha256:{}", "b".repeat(64));
        assert!(
            !pattern("nginx:1.25").matches(&image(&format!("nginx@{d}"))),
            "no tag"
        );
        assert!(pattern(&format!("nginx@{d}")).matches(&image(&format!("nginx:x@{d}"))));
        assert!(!pattern(&format!("nginx@{d}")).matches(&image("nginx:x")));
        assert!(pattern("localhost:5000/app").matches(&image("LOCALHOST:5000/app:1")));
        for bad in [
            "Nginx",
            "ghcr.io//x",
            "https://ghcr.io/x",
            "nginx:",
            "nginx@sha256:abc",
            "x:-1",
        ] {
            assert!(ImagePattern::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_match_on_boundaries() {
        assert_eq!(prefix("ghcr.io").to_string(), "ghcr.io");
        assert_eq!(prefix("nginx").to_string(), "docker.io/library/nginx");
        assert_eq!(prefix("localhost:5000").to_string(), "localhost:5000");
        assert!(prefix("ghcr.io/org").matches(&image("ghcr.io/org/app:1")));
        assert!(prefix("ghcr.io/org").matches(&image("ghcr.io/org:1")));
        assert!(!prefix("ghcr.io/org").matches(&image("ghcr.io/organisation/app")));
        assert!(prefix("ghcr.io").matches(&image("ghcr.io/x")));
        assert!(!prefix("ghcr.io").matches(&image("ghcr.io.evil.io/x")));
        assert!(prefix("nginx").matches(&image("nginx")));
        assert!(!prefix("ubuntu").matches(&image("ubuntumalicious")));
        assert!(prefix("nginx:1.25").matches(&image("nginx:1.25")));
        assert!(!prefix("nginx:1.25").matches(&image("nginx:1.25.1")));
        assert!(PrefixPattern::try_from("ghcr.io/*".to_owned()).is_err());
    }

    #[test]
    fn semver_tags() {
        for ok in ["1.2.3", "v1.2.3", "0.0.0", "1.2.3-rc.1", "10.20.30-alpha-1"] {
            assert!(is_semver_tag(ok), "{ok}");
        }
        for bad in [
            "1.2",
            "01.2.3",
            "1.2.3.4",
            "latest",
            "v1",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3-a..b",
        ] {
            assert!(!is_semver_tag(bad), "{bad}");
        }
    }
}
