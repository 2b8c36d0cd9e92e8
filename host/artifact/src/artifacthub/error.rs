//! Why an Artifact Hub file cannot be written.

use crate::metadata::{ValidationError, annotations as a};

/// Why no Artifact Hub file can be written; each message names the annotation or input.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactHubError {
    #[error("no annotations in policy metadata. policy metadata must specify annotations")]
    NoAnnotations,
    #[error("policy metadata must specify \"{key}\" in annotations")]
    MissingAnnotation { key: &'static str },
    #[error(
        "policy version must be in semver: annotation \"{}\" is {value:?}: {reason}",
        a::VERSION
    )]
    Version {
        value: String,
        reason: semver::Error,
    },
    #[error("questions-ui content cannot be empty")]
    EmptyQuestions,
    #[error("createdAt must be an RFC 3339 date-time, got {value:?}: {reason}")]
    CreatedAt {
        value: String,
        reason: chrono::ParseError,
    },
    /// kwctl's text alone (the caller names the file); not `#[from]`, so not a `source()`.
    #[error("{0}")]
    Metadata(ValidationError),
    #[error("annotation \"{annotation}\" is not an http(s) URL: {url}")]
    NotHttpUrl {
        annotation: &'static str,
        url: String,
    },
    #[error("annotation \"{annotation}\" is a malformed URL: {url}: {reason}")]
    MalformedUrl {
        annotation: &'static str,
        url: String,
        reason: String,
    },
    #[error(
        "annotation \"{}\" in policy metadata is malformed, must be csv values",
        a::ARTIFACTHUB_KEYWORDS
    )]
    Keywords,
    #[error(
        "annotation \"{}\" in policy metadata is malformed, must be csv values of \"name <email>\"",
        a::AUTHOR
    )]
    Maintainers,
    #[error("annotation \"{}\": invalid email address {address:?}", a::AUTHOR)]
    Email { address: String },
    #[error("annotation \"{}\" must be a boolean string", a::HIDDEN_UI)]
    HiddenUi,
    #[error("cannot write {what} as YAML: {reason}")]
    Yaml {
        what: &'static str,
        reason: serde_yaml::Error,
    },
}

pub type Result<T, E = ArtifactHubError> = std::result::Result<T, E>;
