//! Artifact Hub package files (docs/protocol.md §6), in the format of
//! `kwctl scaffold artifacthub`: the files' [`model`] and the [`writer`] that fills it
//! from policy metadata.

pub mod error;
pub mod fields;
pub mod model;
pub mod writer;

pub use error::ArtifactHubError;
pub use fields::{parse_keywords, parse_maintainers};
pub use model::*;
pub use writer::*;
