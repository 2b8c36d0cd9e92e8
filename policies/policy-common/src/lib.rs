//! Shared building blocks of the policies in this workspace.
//!
//! Everything here works on the `serde_json::Value` the SDK already parsed, so a policy never
//! deserialises a whole Kubernetes object and never builds anything (regexes, tables) at start-up.
//!
//! - [`workload`]: the PodSpec of every workload kind and its containers;
//! - [`image`]: image references (distribution/reference grammar);
//! - [`glob`]: allocation-free glob, host and boundary matching for settings patterns;
//! - [`action`], [`exemptions`], [`selector`]: the settings every policy shares;
//! - [`policy`], [`rule`]: the [`Policy`] trait, [`export_policy!`] and [`rule_ids!`], the shape
//!   of every policy;
//! - [`request`], [`report`], [`settings`]: reading the request, answering it, validating settings;
//! - [`json`]: pointers and in-place edits for mutations;
//! - [`redact`]: the one redaction of every value quoted from a request;
//! - [`shape`]: fail-closed reads (absent vs present with the wrong type) and the `malformed`
//!   finding;
//! - [`text`]: substring search without per-call set-up, for the hot paths.

pub mod action;
pub mod exemptions;
pub mod glob;
pub mod image;
pub mod json;
pub mod policy;
pub mod redact;
pub mod report;
pub mod request;
pub mod rule;
pub mod selector;
pub mod settings;
pub mod shape;
pub mod text;
pub mod workload;

pub use action::Action;
pub use exemptions::Exemptions;
pub use policy::Policy;
pub use report::Report;
pub use request::{Operation, Request};
pub use workload::{Container, ContainerKind, PodSpec, WorkloadKind};
