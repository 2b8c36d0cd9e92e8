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
pub(crate) const DEFAULT_REGISTRY: &str = "docker.io";
/// Legacy spelling of Docker Hub, normalised to [`DEFAULT_REGISTRY`].
const LEGACY_DEFAULT_REGISTRY: &str = "index.docker.io";
/// Prefix of single-component repositories on Docker Hub ("official images").
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// Maximum length of the normalised name `registry/repository`.
const NAME_TOTAL_LENGTH_MAX: usize = 255;
/// Maximum length of a tag.
pub(crate) const TAG_LENGTH_MAX: usize = 128;
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
        let (name, tag) = split_tag(name_and_tag);
        if let Some(tag) = tag
            && !is_valid_tag(tag)
        {
            return Err(ImageRefError::InvalidTag(tag.to_owned()));
        }
        let tag = tag.map(str::to_owned);

        let (registry, path) = match split_registry(name) {
            (Some(first), rest) => (normalise_registry(first)?, rest),
            (None, rest) => (DEFAULT_REGISTRY.to_owned(), rest),
        };

        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ImageRefError::UppercaseRepository);
        }
        if !path.split('/').all(is_valid_path_component) {
            return Err(ImageRefError::InvalidRepository(path.to_owned()));
        }

        let repository = official_repository(&registry, path);

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
pub(crate) fn is_valid_tag(tag: &str) -> bool {
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
    // One byte scan: every separator sits between two lower-case alphanumerics.
    let b = alg.as_bytes();
    !b.is_empty()
        && b.iter().enumerate().all(|(i, &c)| {
            is_lower_alnum(c)
                || (matches!(c, b'.' | b'+' | b'_' | b'-')
                    && i > 0
                    && is_lower_alnum(b[i - 1])
                    && b.get(i + 1).copied().is_some_and(is_lower_alnum))
        })
}

pub(crate) fn parse_digest(d: &str) -> Result<Digest, ImageRefError> {
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
pub(crate) fn looks_like_registry(first: &str) -> bool {
    // Byte scans, not `contains([..])`: the multi-char searcher would be linked into every module.
    first.bytes().any(|b| b == b'.' || b == b':') || first.eq_ignore_ascii_case("localhost")
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
pub(crate) fn normalise_registry(domain: &str) -> Result<String, ImageRefError> {
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

/// Splits `name[:tag]` at the tag's ':' (the last ':' after the last '/'; any other ':' belongs to
/// the registry's port).
pub(crate) fn split_tag(name_and_tag: &str) -> (&str, Option<&str>) {
    let last_slash = name_and_tag.rfind('/');
    match name_and_tag.rfind(':') {
        Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
            (&name_and_tag[..colon], Some(&name_and_tag[colon + 1..]))
        }
        _ => (name_and_tag, None),
    }
}

/// Splits a name into its registry part (when the first component is one) and the path.
pub(crate) fn split_registry(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest)) if looks_like_registry(first) => (Some(first), rest),
        _ => (None, name),
    }
}

/// The repository as stored: a one-component Docker Hub path is an official image under
/// `library/` (`docker.io/nginx` is `docker.io/library/nginx`).
pub(crate) fn official_repository(registry: &str, path: &str) -> String {
    if registry == DEFAULT_REGISTRY && !path.contains('/') {
        let mut r = String::with_capacity(OFFICIAL_REPO_PREFIX.len() + path.len());
        r.push_str(OFFICIAL_REPO_PREFIX);
        r.push_str(path);
        r
    } else {
        path.to_owned()
    }
}

/// The lenient mode, for keys a user writes into a test world (which may hold references the
/// strict parser refuses on purpose): a reference that parses is shown as [`ImageRef`] shows it;
/// any other string gets the same Docker rules without validation (registry detection and
/// lower-cased host, `index.docker.io`, `library/`, `latest` when neither tag nor digest).
pub fn normalise_leniently(reference: &str) -> String {
    let reference = reference.trim();
    if let Ok(image) = ImageRef::parse(reference) {
        return image.to_string();
    }
    let (name_and_tag, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    };
    let (name, tag) = split_tag(name_and_tag);
    let (registry, path) = match split_registry(name) {
        (Some(first), rest) => {
            let host = first.to_ascii_lowercase();
            let host = if host == LEGACY_DEFAULT_REGISTRY {
                DEFAULT_REGISTRY.to_owned()
            } else {
                host
            };
            (host, rest)
        }
        (None, rest) => (DEFAULT_REGISTRY.to_owned(), rest),
    };
    let mut out = format!("{registry}/{}", official_repository(&registry, path));
    match (tag, digest) {
        (Some(tag), _) => {
            out.push(':');
            out.push_str(tag);
        }
        (None, None) => out.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(digest) = digest {
        out.push('@');
        out.push_str(digest);
    }
    out
}
