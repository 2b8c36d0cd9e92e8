//! Container image references and the patterns that settings match them with: the one place
//! where an image reference is parsed, normalised and compared.
//!
//! - [`reference`]: [`ImageRef`], parsed and normalised like `distribution/reference` (strict),
//!   and [`normalise_leniently`] for test-world keys that need not be valid references;
//! - [`pattern`]: what settings name images with, normalised with the same rules:
//!   [`RegistryPattern`] (`ghcr.io`, `*.corp.example`, `localhost:5000`), [`ImagePattern`]
//!   (`nginx`, `ghcr.io/org/*`, `ghcr.io/org/**`, `istio/proxyv2:1.2*`, `app@sha256:…`) and
//!   [`RepositoryPrefix`] (`ghcr.io/org`, matched on `/`, `:` and `@` boundaries).
//!
//! One syntax for a Docker Hub organisation in every list: a trailing slash. `docker.io/myorg/`
//! (or `myorg/`) means every repository under `docker.io/myorg`, while `docker.io/nginx` stays
//! the official image `docker.io/library/nginx`.
//!
//! Case rules (distribution spec): registry hosts are case-insensitive and lower-cased;
//! repository paths must be lower-case (never silently lower-cased); tags are case-sensitive;
//! digests are lower-case hex.

mod pattern;
mod reference;

pub use pattern::{
    HostReason, ImagePattern, PatternError, PatternReason, RegistryPattern, RepositoryPrefix,
};
pub use reference::{Digest, ImageRef, ImageRefError, normalise_leniently};

#[cfg(test)]
mod tests;
