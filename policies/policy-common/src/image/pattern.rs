//! The patterns settings name images with, normalised once at deserialisation with the rules of
//! [`super::reference`], so that they are compared with parsed references on the same footing
//! (`nginx` in a setting means `docker.io/library/nginx`). Invalid patterns fail
//! deserialisation, so `validate_settings` names the exact setting path.

use std::fmt;

use serde::Deserialize;

use super::reference::{
    DEFAULT_REGISTRY, Digest, ImageRef, ImageRefError, TAG_LENGTH_MAX, looks_like_registry,
    normalise_registry, official_repository, split_registry, split_tag,
};
use crate::glob::{boundary_prefix_match, glob_match, glob_match_segments, host_match};

/// Why a settings pattern is not a valid registry, image or prefix pattern: the pattern as
/// written and the reason. (One struct rather than one variant per message keeps the formatting
/// code small in every wasm module.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{pattern}'{reason}")]
pub struct PatternError {
    pub pattern: String,
    pub reason: PatternReason,
}

/// The reason of a [`PatternError`], written after the quoted pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternReason {
    /// A registry pattern that is not a host.
    #[error("{0}")]
    Host(HostReason),
    /// The registry part of an image pattern is not a host: the part and why.
    #[error(": '{0}'{1}")]
    RegistryPart(String, HostReason),
    /// A digest, or a whole prefix, that is not a valid reference.
    #[error(": {0}")]
    Reference(ImageRefError),
    #[error(": tag '{0}' must be [A-Za-z0-9_.-] with optional '*' or '?' globs")]
    Tag(String),
    #[error(": repository must be lower-case (an upper-case repository is never a valid image)")]
    UppercaseRepository,
    #[error(
        ": repository must be '/'-separated non-empty components of [a-z0-9._-] with optional '*', '**' or '?' globs"
    )]
    Repository,
    #[error(
        ": a trailing '/' means every repository under an organisation, so it needs one before it (docker.io/myorg/)"
    )]
    EmptyOrganisation,
    #[error(": a repository prefix takes no globs (it matches on '/', ':' or '@' boundaries)")]
    PrefixGlob,
}

/// Why a registry pattern (or the registry part of an image pattern) is not a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostReason {
    #[error(" is not a registry host[:port] (no scheme, no path)")]
    NotAHost,
    #[error(": only a leading '*.' wildcard is allowed in a registry host")]
    Wildcard,
    #[error(" is not a registry host (it needs a '.' or a ':port', or must be localhost)")]
    NoRegistryMarker,
}

impl PatternReason {
    fn of(self, pattern: &str) -> PatternError {
        PatternError {
            pattern: pattern.to_owned(),
            reason: self,
        }
    }
}

/// Normalises `host[:port]` with the reference parser's rules (lower-case host,
/// `index.docker.io` is `docker.io`, port without leading zeros), keeping a leading `*.`.
fn normalise_host(pattern: &str) -> Result<String, HostReason> {
    let (wildcard, host) = match pattern.strip_prefix("*.") {
        Some(rest) => ("*.", rest),
        None => ("", pattern),
    };
    if host.contains('/') {
        return Err(HostReason::NotAHost);
    }
    if host.contains('*') {
        return Err(HostReason::Wildcard);
    }
    if !looks_like_registry(host) {
        return Err(HostReason::NoRegistryMarker);
    }
    normalise_registry(host)
        .map(|registry| wildcard.to_owned() + &registry)
        .map_err(|_| HostReason::NotAHost)
}

/// A registry host pattern: `registry.corp.example`, `localhost:5000` or `*.corp.example`.
/// Matched with [`host_match`], never as a string prefix.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RegistryPattern(String);

impl RegistryPattern {
    pub fn matches(&self, registry: &str) -> bool {
        host_match(&self.0, registry)
    }
}

impl TryFrom<String> for RegistryPattern {
    type Error = PatternError;
    fn try_from(s: String) -> Result<Self, PatternError> {
        normalise_host(&s)
            .map(RegistryPattern)
            .map_err(|e| PatternReason::Host(e).of(&s))
    }
}

impl fmt::Display for RegistryPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `registry/repository[:tag][@digest]` with globs: the registry as a [`RegistryPattern`], the
/// repository with `*` inside one path segment and `**` across segments, the tag with `*`/`?`.
/// Without a tag (and digest) it matches every tag of the repository. A trailing `/` names an
/// organisation: `docker.io/myorg/` is `docker.io/myorg/**`.
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
        && tag.len() <= TAG_LENGTH_MAX
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
    type Error = PatternError;
    fn try_from(s: String) -> Result<Self, PatternError> {
        ImagePattern::parse(&s)
    }
}

impl ImagePattern {
    /// Parses and normalises an image pattern (see the type's documentation).
    pub fn parse(s: &str) -> Result<Self, PatternError> {
        let (rest, digest) = match s.split_once('@') {
            Some((name, d)) => {
                let digest = d
                    .parse::<Digest>()
                    .map_err(|e| PatternReason::Reference(e).of(s))?;
                (name, Some(digest))
            }
            None => (s, None),
        };
        let (name, tag) = split_tag(rest);
        if let Some(tag) = tag
            && !valid_glob_tag(tag)
        {
            return Err(PatternReason::Tag(tag.to_owned()).of(s));
        }
        let (registry, path) = match split_registry(name) {
            (Some(first), path) => {
                let registry = normalise_host(first)
                    .map_err(|e| PatternReason::RegistryPart(first.to_owned(), e).of(s))?;
                (registry, path)
            }
            (None, path) => (DEFAULT_REGISTRY.to_owned(), path),
        };
        let organisation = match path.strip_suffix('/') {
            Some("") => return Err(PatternReason::EmptyOrganisation.of(s)),
            Some(org) => Some(org),
            None => None,
        };
        let checked = organisation.unwrap_or(path);
        if checked.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(PatternReason::UppercaseRepository.of(s));
        }
        if !valid_glob_path(checked) {
            return Err(PatternReason::Repository.of(s));
        }
        let path = match organisation {
            Some(org) => format!("{org}/**"),
            // `**` spans Docker Hub organisations, so it is no official-image name. (A byte scan:
            // a substring search would link the two-way searcher into every module.)
            None if path.as_bytes().windows(2).any(|w| w == b"**") => path.to_owned(),
            None => official_repository(&registry, path),
        };
        Ok(ImagePattern {
            registry,
            path,
            tag: tag.map(str::to_owned),
            digest,
        })
    }

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
/// `ghcr.io/org` covers `ghcr.io/org/app:1` but not `ghcr.io/organisation/app`; a lone host
/// covers the registry; `docker.io/myorg/` covers every repository of the organisation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RepositoryPrefix(String);

const BOUNDARIES: [char; 3] = ['/', ':', '@'];

impl TryFrom<String> for RepositoryPrefix {
    type Error = PatternError;
    fn try_from(s: String) -> Result<Self, PatternError> {
        if s.bytes().any(|b| b == b'*' || b == b'?') {
            return Err(PatternReason::PrefixGlob.of(&s));
        }
        let reference =
            |text: &str| ImageRef::parse(text).map_err(|e| PatternReason::Reference(e).of(&s));
        // A lone host (`ghcr.io`, `localhost:5000`) is a registry prefix.
        let lone_host = !s.contains('/')
            && match s.split_once(':') {
                Some((host, port)) => {
                    looks_like_registry(host) && port.bytes().all(|b| b.is_ascii_digit())
                }
                None => looks_like_registry(&s),
            };
        if lone_host {
            return normalise_host(&s)
                .map(RepositoryPrefix)
                .map_err(|e| PatternReason::Host(e).of(&s));
        }
        // An organisation: normalised as the name of a repository inside it.
        if let Some(org) = s.strip_suffix('/') {
            if org.is_empty() || (!org.contains('/') && looks_like_registry(org)) {
                return Err(PatternReason::EmptyOrganisation.of(&s));
            }
            let inside = reference(&format!("{org}/x"))?;
            let name = inside.name();
            return Ok(RepositoryPrefix(format!("{}/", &name[..name.len() - 2])));
        }
        // Anything else is normalised like a reference (`nginx` is `docker.io/library/nginx`).
        let image = reference(&s)?;
        let prefix = match (image.tag(), image.digest()) {
            (None, None) => image.name(),
            _ => image.to_string(),
        };
        Ok(RepositoryPrefix(prefix))
    }
}

impl RepositoryPrefix {
    pub fn matches(&self, image: &ImageRef) -> bool {
        boundary_prefix_match(&self.0, &image.to_string(), &BOUNDARIES)
    }
}

impl fmt::Display for RepositoryPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
