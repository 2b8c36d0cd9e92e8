//! The Artifact Hub files' data model: `artifacthub-pkg.yml` in the layout of
//! `kwctl scaffold artifacthub`, and `artifacthub-repo.yml` (docs/protocol.md §6).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Header kwctl writes above the YAML (first three lines identical).
pub const ARTIFACTHUB_PKG_HEADER: &str = "# Kubewarden Artifacthub Package config
#
# Use this config to submit the policy to https://artifacthub.io.
#
# Generated from metadata.yml by `make artifacthub` (kwhost, same format as
# `kwctl scaffold artifacthub`): do not edit by hand.
";

/// Artifact Hub package (`artifacthub-pkg.yml`); field order as kwctl's.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactHubPkg {
    pub version: String,
    pub name: String,
    pub display_name: String,
    pub created_at: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(rename = "homeURL", skip_serializing_if = "Option::is_none")]
    pub home_url: Option<String>,
    pub containers_images: Vec<ContainerImage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Link>>,
    pub install: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintainers: Option<Vec<Maintainer>>,
    pub provider: Provider,
    pub recommendations: Vec<Recommendation>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ContainerImage {
    pub name: String,
    pub image: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Link {
    pub name: String,
    pub url: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Provider {
    pub name: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub url: String,
}

/// Recommendation kwctl hard-codes.
pub const CONTROLLER_RECOMMENDATION: &str =
    "https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller";

/// An owner listed in `artifacthub-repo.yml`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RepoOwner {
    pub name: String,
    pub email: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactHubRepo {
    #[serde(rename = "repositoryID")]
    pub repository_id: String,
    pub owners: Vec<RepoOwner>,
}

/// Fixed repository ID of this project on Artifact Hub
/// (`artifacthub/artifacthub-repo.yml`).
pub const REPOSITORY_ID: &str = "5b0c9a4e-3f7d-4c1a-9e62-8d4b7f2a1c90";
