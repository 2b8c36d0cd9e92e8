//! Container image references, parsed and normalised like `distribution/reference`
//! (`ParseNormalizedNamed`), with a few deliberate tightenings for admission control.
//!
//! Grammar (see `reference.go` of `distribution/reference`):
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [ domain "/" ] path-component { "/" path-component }
//! domain           := host [ ":" port-number ]
//! host             := domain-name | "[" IPv6address "]"
//! domain-name      := domain-component { "." domain-component }
//! domain-component := /[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]/
//! port-number      := /[0-9]+/
//! path-component   := /[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*/
//! tag              := /[\w][\w.-]{0,127}/
//! digest           := algorithm ":" encoded
//! algorithm        := /[a-z0-9]+(?:[.+_-][a-z0-9]+)*/
//! ```
//!
//! Normalisation (as `normalize.go`):
//!
//! * the first path component is a registry only when it contains `.` or `:` or is `localhost`
//!   (any case); otherwise the registry is `docker.io`;
//! * `index.docker.io` becomes `docker.io`;
//! * a single-component repository on `docker.io` gets `library/` prepended;
//! * the registry host is lower-cased (hosts are case-insensitive), the port is written without
//!   leading zeros.
//!
//! Deliberate differences from upstream:
//!
//! * An upper-case first component without `.`/`:` (`MyOrg/app`) is *not* taken as a registry
//!   (upstream does); it stays on Docker Hub and is rejected as an upper-case repository.
//! * Ports must be in `1..=65535`; IPv6 hosts are lower-cased.
//! * Only `sha256` (64 lower-case hex) and `sha512` (128 lower-case hex) digests are accepted;
//!   any other algorithm is rejected as unsupported.
//! * Whitespace, control and non-ASCII characters are rejected up front.
//!
//! The parser is a single linear pass without regexes or tables; it never panics.

use std::fmt;
use std::str::FromStr;

/// Registry used when a reference names none.
const DEFAULT_REGISTRY: &str = "docker.io";
/// Legacy spelling of Docker Hub, normalised to [`DEFAULT_REGISTRY`].
const LEGACY_DEFAULT_REGISTRY: &str = "index.docker.io";
/// Prefix of single-component repositories on Docker Hub ("official images").
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// Maximum length of the normalised name `registry/repository`.
const NAME_TOTAL_LENGTH_MAX: usize = 255;
/// Maximum length of a tag.
const TAG_LENGTH_MAX: usize = 128;
/// Inputs longer than this are rejected before any other work (`TooLong`). It is larger than the
/// longest valid reference: a 255-byte name written with `index.docker.io/` (6 bytes longer than
/// `docker.io/`), a 128-byte tag and a sha512 digest.
const REFERENCE_LENGTH_MAX: usize = 600;

/// A content digest `algorithm:hex`, e.g. `sha256:e3b0…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Digest {
    /// `sha256` or `sha512` when produced by the parser.
    pub algorithm: String,
    /// Lower-case hex encoding of the hash.
    pub hex: String,
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

impl FromStr for Digest {
    type Err = ImageRefError;

    /// Parses `algorithm:hex` with the same strict rules as the digest part of a reference.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_digest(s)
    }
}

/// A parsed and normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a string is not a valid image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRefError {
    /// The reference is empty.
    Empty,
    /// A whitespace, control or non-ASCII character.
    InvalidCharacter(char),
    /// The registry part (`host[:port]`) is malformed; holds it as written.
    InvalidRegistry(String),
    /// The repository path is malformed; holds it as written (without registry).
    InvalidRepository(String),
    /// The repository path contains upper-case letters (never silently lower-cased).
    UppercaseRepository,
    /// The tag is malformed; holds it as written.
    InvalidTag(String),
    /// The digest is malformed or uses an unsupported algorithm; holds it as written and a reason.
    InvalidDigest(String, &'static str),
    /// The normalised name is longer than 255 bytes (or the whole input is absurdly long).
    TooLong,
    /// The reference is a bare 64-character hex string, i.e. an image ID, not a name.
    AmbiguousIdentifier,
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("invalid image reference: empty string"),
            Self::InvalidCharacter(c) => write!(
                f,
                "invalid image reference: character {c:?} is not allowed (only printable ASCII, no whitespace)"
            ),
            Self::InvalidRegistry(r) => write!(
                f,
                "invalid image reference: registry {r:?} is not a host name, IPv4 address or [IPv6] address with an optional :port (1-65535); schemes such as https:// are not allowed"
            ),
            Self::InvalidRepository(r) => write!(
                f,
                "invalid image reference: repository {r:?} must be '/'-separated non-empty components of [a-z0-9] joined by '.', '_', '__' or '-'"
            ),
            Self::UppercaseRepository => {
                f.write_str("invalid image reference: repository name must be lower-case")
            }
            Self::InvalidTag(t) => write!(
                f,
                "invalid image reference: tag {t:?} must be 1-128 characters of [A-Za-z0-9_.-] not starting with '.' or '-'"
            ),
            Self::InvalidDigest(d, reason) => {
                write!(f, "invalid image reference: digest {d:?}: {reason}")
            }
            Self::TooLong => write!(
                f,
                "invalid image reference: repository name must not be longer than {NAME_TOTAL_LENGTH_MAX} characters"
            ),
            Self::AmbiguousIdentifier => f.write_str(
                "invalid image reference: a bare 64-character hex string is an image ID, not a repository name",
            ),
        }
    }
}

impl std::error::Error for ImageRefError {}

impl ImageRef {
    /// Parses and normalises an image reference such as `nginx`, `ghcr.io/org/app:v1` or
    /// `localhost:5000/app@sha256:…`. Never panics.
    pub fn parse(s: &str) -> Result<ImageRef, ImageRefError> {
        if s.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if s.len() > REFERENCE_LENGTH_MAX {
            return Err(ImageRefError::TooLong);
        }
        if let Some(c) = s.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(ImageRefError::InvalidCharacter(c));
        }
        if s.len() == 64 && s.bytes().all(is_lower_hex) {
            return Err(ImageRefError::AmbiguousIdentifier);
        }

        // `name[:tag]` and `digest` are split at the first '@' (neither name nor tag contain one).
        let (name_and_tag, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(parse_digest(d)?)),
            None => (s, None),
        };

        // The tag follows the last ':' if that ':' is after the last '/'; any other ':' belongs
        // to the registry's port.
        let last_slash = name_and_tag.rfind('/');
        let (name, tag) = match name_and_tag.rfind(':') {
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
                let tag = &name_and_tag[colon + 1..];
                if !is_valid_tag(tag) {
                    return Err(ImageRefError::InvalidTag(tag.to_owned()));
                }
                (&name_and_tag[..colon], Some(tag.to_owned()))
            }
            _ => (name_and_tag, None),
        };

        let (registry, path) = match name.split_once('/') {
            Some((first, rest)) if looks_like_registry(first) => (normalise_registry(first)?, rest),
            _ => (DEFAULT_REGISTRY.to_owned(), name),
        };

        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ImageRefError::UppercaseRepository);
        }
        if !path.split('/').all(is_valid_path_component) {
            return Err(ImageRefError::InvalidRepository(path.to_owned()));
        }

        let repository = if registry == DEFAULT_REGISTRY && !path.contains('/') {
            let mut r = String::with_capacity(OFFICIAL_REPO_PREFIX.len() + path.len());
            r.push_str(OFFICIAL_REPO_PREFIX);
            r.push_str(path);
            r
        } else {
            path.to_owned()
        };

        if registry.len() + 1 + repository.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(ImageRefError::TooLong);
        }

        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// Normalised registry `host[:port]`, lower-case host, e.g. `docker.io`, `localhost:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Repository path, e.g. `library/nginx`, `org/app`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag as written, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `registry/repository`, e.g. `docker.io/library/nginx`.
    pub fn name(&self) -> String {
        let mut s = String::with_capacity(self.registry.len() + 1 + self.repository.len());
        s.push_str(&self.registry);
        s.push('/');
        s.push_str(&self.repository);
        s
    }

    /// The tag, or `latest` when the reference has neither tag nor digest (what a runtime pulls).
    /// `None` for a digest-only reference.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    /// `true` when the reference carries a digest (the pulled content is immutable).
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some()
    }

    /// The same reference with `digest` set (replacing any digest; the tag is kept).
    pub fn with_digest(&self, digest: &Digest) -> ImageRef {
        ImageRef {
            digest: Some(digest.clone()),
            ..self.clone()
        }
    }
}

impl FromStr for ImageRef {
    type Err = ImageRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(s)
    }
}

/// Fully normalised `registry/repository[:tag][@algorithm:hex]`.
///
/// When the reference has neither tag nor digest, `:latest` is shown (`nginx` is displayed as
/// `docker.io/library/nginx:latest`), so the output always says what a runtime would pull. A
/// digest-only reference is shown without a tag.
impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = self.effective_tag() {
            write!(f, ":{tag}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `[\w][\w.-]{0,127}`
fn is_valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    match b.first() {
        Some(&first) if is_word(first) => {}
        _ => return false,
    }
    b.len() <= TAG_LENGTH_MAX && b.iter().all(|&c| is_word(c) || c == b'.' || c == b'-')
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && is_lower_alnum(b[i]) {
            i += 1;
        }
        if i == start {
            // Empty component, leading separator, separator after separator or trailing one.
            return false;
        }
        if i == b.len() {
            return true;
        }
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if b.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

/// `[a-z0-9]+(?:[.+_-][a-z0-9]+)*`
fn is_valid_digest_algorithm(alg: &str) -> bool {
    !alg.is_empty()
        && alg
            .split(['.', '+', '_', '-'])
            .all(|part| !part.is_empty() && part.bytes().all(is_lower_alnum))
}

fn parse_digest(d: &str) -> Result<Digest, ImageRefError> {
    let err = |reason| Err(ImageRefError::InvalidDigest(d.to_owned(), reason));
    if d.is_empty() {
        return err("missing digest after '@'");
    }
    let Some((alg, hex)) = d.split_once(':') else {
        return err("expected <algorithm>:<hex>");
    };
    if !is_valid_digest_algorithm(alg) {
        return err("malformed digest algorithm");
    }
    let expected_len = match alg {
        "sha256" => 64,
        "sha512" => 128,
        _ => return err("unsupported digest algorithm (only sha256 and sha512 are accepted)"),
    };
    if hex.is_empty() {
        return err("missing hex after the algorithm");
    }
    if !hex.bytes().all(is_lower_hex) {
        return err("the encoded hash must be lower-case hex");
    }
    if hex.len() != expected_len {
        return err(if expected_len == 64 {
            "a sha256 digest must have exactly 64 hex characters"
        } else {
            "a sha512 digest must have exactly 128 hex characters"
        });
    }
    Ok(Digest {
        algorithm: alg.to_owned(),
        hex: hex.to_owned(),
    })
}

/// The first component of a name is a registry when it contains '.' or ':' or is `localhost`.
fn looks_like_registry(first: &str) -> bool {
    first.contains(['.', ':']) || first.eq_ignore_ascii_case("localhost")
}

/// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
fn is_valid_domain_component(c: &str) -> bool {
    let b = c.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => {
            b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
        }
        _ => false,
    }
}

/// Validates `host[:port]` and returns it lower-cased, with the port without leading zeros and
/// `index.docker.io` replaced by `docker.io`.
fn normalise_registry(domain: &str) -> Result<String, ImageRefError> {
    let invalid = || ImageRefError::InvalidRegistry(domain.to_owned());
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        // [IPv6address][:port]
        let (addr, after) = rest.split_once(']').ok_or_else(invalid)?;
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(invalid());
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(invalid)?),
        };
        (&domain[..addr.len() + 2], port)
    } else {
        let (host, port) = match domain.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (domain, None),
        };
        if !host.split('.').all(is_valid_domain_component) {
            return Err(invalid());
        }
        (host, port)
    };

    let mut out = host.to_ascii_lowercase();
    if out == LEGACY_DEFAULT_REGISTRY {
        out.clear();
        out.push_str(DEFAULT_REGISTRY);
    }
    if let Some(port) = port {
        let n = parse_port(port).ok_or_else(invalid)?;
        out.push(':');
        out.push_str(&n.to_string());
    }
    Ok(out)
}

/// `[0-9]+` with a value in `1..=65535`.
fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = p.trim_start_matches('0');
    if trimmed.is_empty() || trimmed.len() > 5 {
        return None;
    }
    trimmed.parse::<u16>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H64: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const H128: &str = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

    fn kind(e: &ImageRefError) -> &'static str {
        match e {
            ImageRefError::Empty => "Empty",
            ImageRefError::InvalidCharacter(_) => "InvalidCharacter",
            ImageRefError::InvalidRegistry(_) => "InvalidRegistry",
            ImageRefError::InvalidRepository(_) => "InvalidRepository",
            ImageRefError::UppercaseRepository => "UppercaseRepository",
            ImageRefError::InvalidTag(_) => "InvalidTag",
            ImageRefError::InvalidDigest(..) => "InvalidDigest",
            ImageRefError::TooLong => "TooLong",
            ImageRefError::AmbiguousIdentifier => "AmbiguousIdentifier",
        }
    }

    /// `Ok(expected Display)` or `Err(error kind)`. `{h64}`/`{h128}` stand for valid hex.
    fn table() -> Vec<(String, Result<String, &'static str>)> {
        let raw: &[(&str, Result<&str, &str>)] = &[
            // Docker Hub shorthands.
            ("nginx", Ok("docker.io/library/nginx:latest")),
            ("nginx:1.25", Ok("docker.io/library/nginx:1.25")),
            ("library/nginx", Ok("docker.io/library/nginx:latest")),
            ("bitnami/redis", Ok("docker.io/bitnami/redis:latest")),
            (
                "bitnami/redis:7.2-debian",
                Ok("docker.io/bitnami/redis:7.2-debian"),
            ),
            ("docker.io/nginx", Ok("docker.io/library/nginx:latest")),
            (
                "docker.io/library/nginx",
                Ok("docker.io/library/nginx:latest"),
            ),
            (
                "index.docker.io/nginx",
                Ok("docker.io/library/nginx:latest"),
            ),
            ("INDEX.DOCKER.IO/nginx:1", Ok("docker.io/library/nginx:1")),
            (
                "docker.io/bitnami/redis",
                Ok("docker.io/bitnami/redis:latest"),
            ),
            ("a/b/c/d", Ok("docker.io/a/b/c/d:latest")),
            // Other registries, case of the host.
            ("GHCR.IO/org/app", Ok("ghcr.io/org/app:latest")),
            ("ghcr.io/org/app:v1.2.3", Ok("ghcr.io/org/app:v1.2.3")),
            ("quay.io/app", Ok("quay.io/app:latest")),
            (
                "Registry.Corp.Example/team/app",
                Ok("registry.corp.example/team/app:latest"),
            ),
            (
                "registry-1.docker.io/library/nginx",
                Ok("registry-1.docker.io/library/nginx:latest"),
            ),
            ("10.0.0.1/app", Ok("10.0.0.1/app:latest")),
            // Ports, localhost, IPv6.
            ("localhost/app", Ok("localhost/app:latest")),
            ("LOCALHOST/app", Ok("localhost/app:latest")),
            ("localhost:5000/app", Ok("localhost:5000/app:latest")),
            ("localhost:5000/app:dev", Ok("localhost:5000/app:dev")),
            ("localhost:05000/app", Ok("localhost:5000/app:latest")),
            (
                "registry.corp.example:443/a/b:1",
                Ok("registry.corp.example:443/a/b:1"),
            ),
            ("10.0.0.1:5000/app", Ok("10.0.0.1:5000/app:latest")),
            ("[::1]:5000/app", Ok("[::1]:5000/app:latest")),
            ("[::1]/app:1", Ok("[::1]/app:1")),
            ("[FE80::1]:5000/app", Ok("[fe80::1]:5000/app:latest")),
            ("localhost:5000", Ok("docker.io/library/localhost:5000")),
            // Tags.
            ("nginx:latest", Ok("docker.io/library/nginx:latest")),
            ("nginx:_x", Ok("docker.io/library/nginx:_x")),
            ("nginx:V1.0-RC_1", Ok("docker.io/library/nginx:V1.0-RC_1")),
            // Digests.
            (
                "nginx@sha256:{h64}",
                Ok("docker.io/library/nginx@sha256:{h64}"),
            ),
            (
                "nginx:1.25@sha256:{h64}",
                Ok("docker.io/library/nginx:1.25@sha256:{h64}"),
            ),
            (
                "ghcr.io/org/app@sha512:{h128}",
                Ok("ghcr.io/org/app@sha512:{h128}"),
            ),
            (
                "localhost:5000/app:v1@sha256:{h64}",
                Ok("localhost:5000/app:v1@sha256:{h64}"),
            ),
            // Path component separators.
            ("a.b/c", Ok("a.b/c:latest")),
            ("my_org/my__app", Ok("docker.io/my_org/my__app:latest")),
            ("my-org/my---app", Ok("docker.io/my-org/my---app:latest")),
            ("org/app.v2", Ok("docker.io/org/app.v2:latest")),
            // Errors: empty, characters, schemes.
            ("", Err("Empty")),
            (" nginx", Err("InvalidCharacter")),
            ("nginx ", Err("InvalidCharacter")),
            ("ngi nx", Err("InvalidCharacter")),
            ("nginx\n", Err("InvalidCharacter")),
            ("nginx:1\t", Err("InvalidCharacter")),
            ("ngïnx", Err("InvalidCharacter")),
            ("docker.io/ｎginx", Err("InvalidCharacter")),
            ("https://ghcr.io/org/app", Err("InvalidRegistry")),
            ("http://localhost:5000/app", Err("InvalidRegistry")),
            ("{h64}", Err("AmbiguousIdentifier")),
            // Errors: registry.
            ("ghcr.io:/app", Err("InvalidRegistry")),
            ("ghcr.io:abc/app", Err("InvalidRegistry")),
            ("ghcr.io:0/app", Err("InvalidRegistry")),
            ("ghcr.io:65536/app", Err("InvalidRegistry")),
            ("-bad.io/app", Err("InvalidRegistry")),
            ("bad-.io/app", Err("InvalidRegistry")),
            ("bad..io/app", Err("InvalidRegistry")),
            (".io/app", Err("InvalidRegistry")),
            ("under_score.io/app", Err("InvalidRegistry")),
            ("[::1/app", Err("InvalidRegistry")),
            ("[]:5000/app", Err("InvalidRegistry")),
            ("[::g]/app", Err("InvalidRegistry")),
            ("[::1]x/app", Err("InvalidRegistry")),
            // Errors: repository.
            ("Nginx", Err("UppercaseRepository")),
            ("Bitnami/redis", Err("UppercaseRepository")),
            ("ghcr.io/Org/app", Err("UppercaseRepository")),
            ("docker.io//nginx", Err("InvalidRepository")),
            ("org//app", Err("InvalidRepository")),
            ("/nginx", Err("InvalidRepository")),
            ("nginx/", Err("InvalidRepository")),
            ("ghcr.io/", Err("InvalidRepository")),
            ("ghcr.io/org/", Err("InvalidRepository")),
            ("-nginx", Err("InvalidRepository")),
            ("nginx-", Err("InvalidRepository")),
            ("ngi..nx", Err("InvalidRepository")),
            ("ngi___nx", Err("InvalidRepository")),
            ("ngi._nx", Err("InvalidRepository")),
            ("org/.app", Err("InvalidRepository")),
            ("nginx:1.0:2", Err("InvalidRepository")),
            ("[::1]:5000", Err("InvalidRepository")),
            // Errors: tag.
            ("nginx:", Err("InvalidTag")),
            ("nginx:.1", Err("InvalidTag")),
            ("nginx:-1", Err("InvalidTag")),
            ("nginx:a+b", Err("InvalidTag")),
            ("localhost:5000/app:", Err("InvalidTag")),
            ("nginx:@sha256:{h64}", Err("InvalidTag")),
            // Errors: digest.
            ("nginx@", Err("InvalidDigest")),
            ("nginx:1@", Err("InvalidDigest")),
            ("nginx@sha256", Err("InvalidDigest")),
            ("nginx@sha256:", Err("InvalidDigest")),
            ("nginx@:{h64}", Err("InvalidDigest")),
            ("nginx@sha256:abc123", Err("InvalidDigest")),
            ("nginx@sha256:{h64}0", Err("InvalidDigest")),
            ("nginx@sha256:{H64}", Err("InvalidDigest")),
            ("nginx@sha512:{h64}", Err("InvalidDigest")),
            ("nginx@sha256:{h128}", Err("InvalidDigest")),
            (
                "nginx@md5:d41d8cd98f00b204e9800998ecf8427e",
                Err("InvalidDigest"),
            ),
            ("nginx@sha384:{h64}", Err("InvalidDigest")),
            ("nginx@SHA256:{h64}", Err("InvalidDigest")),
            ("nginx@sha256+b64u:{h64}", Err("InvalidDigest")),
            ("nginx@sha256..x:{h64}", Err("InvalidDigest")),
            ("nginx@sha256:{h64}@sha256:{h64}", Err("InvalidDigest")),
            ("nginx@sha256:{h64}:1", Err("InvalidDigest")),
            ("@sha256:{h64}", Err("InvalidRepository")),
            ("nginx@latest", Err("InvalidDigest")),
            // Errors: length.
            // docker.io/library/ is 18 bytes: 237 more make exactly 255.
            ("{a237}", Ok("docker.io/library/{a237}:latest")),
            ("{a238}", Err("TooLong")),
            ("{a256}", Err("TooLong")),
            ("ghcr.io/{a247}", Ok("ghcr.io/{a247}:latest")),
            ("ghcr.io/{a248}", Err("TooLong")),
            ("{a1000}", Err("TooLong")),
            ("ghcr.io/{a248}:{t128}", Err("TooLong")),
            (
                "ghcr.io/{a246}:{t128}@sha512:{h128}",
                Ok("ghcr.io/{a246}:{t128}@sha512:{h128}"),
            ),
            ("index.docker.io/x/{a243}", Ok("docker.io/x/{a243}:latest")),
            ("nginx:{t129}", Err("InvalidTag")),
        ];
        let expand = |s: &str| {
            s.replace("{h64}", H64)
                .replace("{H64}", &H64.to_ascii_uppercase())
                .replace("{h128}", H128)
                .replace("{a1000}", &"a".repeat(1000))
                .replace("{a256}", &"a".repeat(256))
                .replace("{a248}", &"a".repeat(248))
                .replace("{a247}", &"a".repeat(247))
                .replace("{a246}", &"a".repeat(246))
                .replace("{a238}", &"a".repeat(238))
                .replace("{a237}", &"a".repeat(237))
                .replace("{a243}", &"a".repeat(243))
                .replace("{t128}", &"t".repeat(128))
                .replace("{t129}", &"t".repeat(129))
        };
        raw.iter()
            .map(|(i, e)| (expand(i), e.map(expand)))
            .collect()
    }

    #[test]
    fn reference_table() {
        let table = table();
        assert!(table.len() >= 60, "table has {} entries", table.len());
        let mut failures = Vec::new();
        for (input, expected) in &table {
            let got = ImageRef::parse(input);
            let got = got.as_ref().map(|r| r.to_string()).map_err(kind);
            if got.as_ref().map_err(|e| *e) != expected.as_ref().map_err(|e| *e) {
                failures.push(format!("{input:?}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn normalised_output_reparses_to_itself() {
        for (input, expected) in table() {
            if expected.is_err() {
                continue;
            }
            let first = ImageRef::parse(&input).unwrap();
            let again = ImageRef::parse(&first.to_string()).unwrap();
            assert_eq!(first.to_string(), again.to_string(), "{input}");
            assert_eq!(first.name(), again.name(), "{input}");
        }
    }

    #[test]
    fn accessors() {
        let r = ImageRef::parse("nginx").unwrap();
        assert_eq!(r.registry(), "docker.io");
        assert_eq!(r.repository(), "library/nginx");
        assert_eq!(r.tag(), None);
        assert_eq!(r.digest(), None);
        assert_eq!(r.name(), "docker.io/library/nginx");
        assert_eq!(r.effective_tag(), Some("latest"));
        assert!(!r.is_pinned());

        let r = ImageRef::parse(&format!("localhost:5000/a/b:v1@sha256:{H64}")).unwrap();
        assert_eq!(r.registry(), "localhost:5000");
        assert_eq!(r.repository(), "a/b");
        assert_eq!(r.tag(), Some("v1"));
        assert_eq!(r.effective_tag(), Some("v1"));
        let d = r.digest().unwrap();
        assert_eq!(d.algorithm, "sha256");
        assert_eq!(d.hex, H64);
        assert_eq!(d.to_string(), format!("sha256:{H64}"));
        assert!(r.is_pinned());
        assert_eq!(r.name(), "localhost:5000/a/b");
    }

    #[test]
    fn digest_only_has_no_effective_tag() {
        let r = ImageRef::parse(&format!("nginx@sha256:{H64}")).unwrap();
        assert_eq!(r.tag(), None);
        assert_eq!(r.effective_tag(), None);
        assert!(r.is_pinned());
    }

    #[test]
    fn explicit_latest_equals_implicit_latest_in_display_only() {
        let implicit = ImageRef::parse("nginx").unwrap();
        let explicit = ImageRef::parse("nginx:latest").unwrap();
        assert_eq!(implicit.to_string(), explicit.to_string());
        assert_eq!(implicit.effective_tag(), explicit.effective_tag());
        assert_eq!(implicit.tag(), None);
        assert_eq!(explicit.tag(), Some("latest"));
    }

    #[test]
    fn with_digest_keeps_tag() {
        let d: Digest = format!("sha512:{H128}").parse().unwrap();
        let r = ImageRef::parse("ghcr.io/org/app:v2")
            .unwrap()
            .with_digest(&d);
        assert_eq!(r.tag(), Some("v2"));
        assert_eq!(r.digest(), Some(&d));
        assert_eq!(r.to_string(), format!("ghcr.io/org/app:v2@sha512:{H128}"));

        let other: Digest = format!("sha256:{H64}").parse().unwrap();
        let r2 = r.with_digest(&other);
        assert_eq!(r2.digest(), Some(&other));
        let untagged = ImageRef::parse("nginx").unwrap().with_digest(&other);
        assert_eq!(
            untagged.to_string(),
            format!("docker.io/library/nginx@sha256:{H64}")
        );
    }

    #[test]
    fn from_str_matches_parse() {
        let a: ImageRef = "bitnami/redis:7".parse().unwrap();
        assert_eq!(a, ImageRef::parse("bitnami/redis:7").unwrap());
        assert!("sha256:abc".parse::<Digest>().is_err());
    }

    #[test]
    fn error_messages_quote_the_offending_part() {
        let msg = |s: &str| ImageRef::parse(s).unwrap_err().to_string();
        assert!(msg("ghcr.io:abc/app").contains("\"ghcr.io:abc\""));
        assert!(msg("org//app").contains("\"org//app\""));
        assert!(msg("nginx:.bad").contains("\".bad\""));
        assert!(msg("nginx@md5:abc").contains("\"md5:abc\""));
        assert!(msg("nginx@md5:abc").contains("unsupported digest algorithm"));
        assert!(msg("nginx@sha256:ABC").contains("lower-case hex"));
        assert!(msg("Nginx").contains("lower-case"));
        assert!(msg("nginx\u{3000}").contains("'\\u{3000}'"));
        assert!(msg("").contains("empty"));
        assert!(msg(&"a".repeat(300)).contains("255"));
        let e: Box<dyn std::error::Error> = Box::new(ImageRefError::Empty);
        assert!(!e.to_string().is_empty());
    }

    #[test]
    fn never_panics_on_odd_input() {
        let samples = [
            "@",
            ":",
            "/",
            "//",
            "@@",
            "::",
            "[",
            "]",
            "[]",
            "[:]",
            "a@b@c",
            ":@",
            "/:@",
            "a:/b",
            "a/:b",
            "[::1]:",
            "[::1]:/a",
            "x:99999999999999999999/a",
            "é",
            "\u{0}",
            "a/b@",
            "a/b:",
            "localhost:",
            "localhost:/",
            "a.b:c:d/e",
            "[[::1]]/a",
        ];
        for s in samples {
            let _ = ImageRef::parse(s);
        }
        // All prefixes of a long valid reference (boundaries inside multi-byte chars included).
        let long = format!("régistry.io:5000/org/app:v1@sha256:{H64}");
        for (i, _) in long.char_indices() {
            let _ = ImageRef::parse(&long[..i]);
            let _ = ImageRef::parse(&long[i..]);
        }
    }
}
