//! Writing the Artifact Hub files (docs/protocol.md §6) from policy metadata; the checks of
//! the annotations read are in [`super::fields`].

use std::collections::BTreeMap;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::error::{ArtifactHubError, Result};
use super::fields::{http_url_host, parse_keywords, parse_maintainers};
use super::model::{
    ARTIFACTHUB_PKG_HEADER, ArtifactHubPkg, ArtifactHubRepo, CONTROLLER_RECOMMENDATION,
    ContainerImage, Link, Provider, REPOSITORY_ID, Recommendation, RepoOwner,
};
use crate::metadata::{Metadata, annotations as a};

fn to_yaml<T: serde::Serialize + ?Sized>(what: &'static str, value: &T) -> Result<String> {
    serde_yaml::to_string(value).map_err(|reason| ArtifactHubError::Yaml { what, reason })
}

/// Generates `artifacthub-pkg.yml` (header + YAML), like
/// `kwctl scaffold artifacthub -m metadata.yml [-q questions-ui.yml]`.
///
/// `created_at` is written verbatim (an RFC 3339 date-time: the release date of the
/// policy's version, see README.md), so the output is deterministic. `questions_ui`: raw
/// questions file content (empty is an error, as in kwctl).
pub fn artifacthub_pkg(
    metadata: &Metadata,
    questions_ui: Option<&str>,
    created_at: &str,
) -> Result<String> {
    let pkg = build_artifacthub_pkg(metadata, questions_ui, created_at)?;
    Ok(format!(
        "{ARTIFACTHUB_PKG_HEADER}{}",
        to_yaml("artifacthub-pkg.yml", &pkg)?
    ))
}

/// The structured package behind [`artifacthub_pkg`].
pub fn build_artifacthub_pkg(
    metadata: &Metadata,
    questions_ui: Option<&str>,
    created_at: &str,
) -> Result<ArtifactHubPkg> {
    let annots = metadata
        .annotations
        .as_ref()
        .filter(|m| !m.is_empty())
        .ok_or(ArtifactHubError::NoAnnotations)?;
    let required = |key: &'static str| -> Result<String> {
        annots
            .get(key)
            .cloned()
            .ok_or(ArtifactHubError::MissingAnnotation { key })
    };
    let version_str = required(a::VERSION)?;
    let version =
        semver::Version::parse(&version_str).map_err(|reason| ArtifactHubError::Version {
            value: version_str.clone(),
            reason,
        })?;
    if questions_ui.is_some_and(str::is_empty) {
        return Err(ArtifactHubError::EmptyQuestions);
    }
    chrono::DateTime::parse_from_rfc3339(created_at).map_err(|reason| {
        ArtifactHubError::CreatedAt {
            value: created_at.to_owned(),
            reason,
        }
    })?;
    metadata.validate().map_err(ArtifactHubError::Metadata)?;

    let oci_url = required(a::OCI_URL)?;
    let image = format!("{oci_url}:v{version}");
    let home_url = annots
        .get(a::URL)
        .map(|u| http_url_host(a::URL, u).map(|_| u.clone()))
        .transpose()?;

    let keywords = annots
        .get(a::ARTIFACTHUB_KEYWORDS)
        .map(|csv| parse_keywords(csv))
        .transpose()?;

    let links = match annots.get(a::SOURCE) {
        None => None,
        Some(source) => {
            let host = http_url_host(a::SOURCE, source)?;
            let mut links = Vec::new();
            if host == "github.com" {
                let tag = match annots.get(a::GITHUB_RELEASE_TAG) {
                    Some(t) => utf8_percent_encode(t, RELEASE_TAG_SET).to_string(),
                    None => format!("v{version}"),
                };
                links.push(Link {
                    name: "policy".into(),
                    url: format!(
                        "{}/releases/download/{tag}/policy.wasm",
                        source.trim_end_matches('/')
                    ),
                });
            }
            links.push(Link {
                name: "source".into(),
                url: source.clone(),
            });
            Some(links)
        }
    };

    let maintainers = annots
        .get(a::AUTHOR)
        .map(|s| parse_maintainers(s))
        .transpose()?;

    let mut ah_annotations = BTreeMap::new();
    ah_annotations.insert("kubewarden/mutation".into(), metadata.mutating.to_string());
    if !metadata.context_aware_resources.is_empty() {
        ah_annotations.insert(
            "kubewarden/contextAwareResources".into(),
            to_yaml("contextAwareResources", &metadata.context_aware_resources)?,
        );
    }
    ah_annotations.insert(
        "kubewarden/rules".into(),
        to_yaml("rules", &metadata.rules)?,
    );
    if let Some(q) = questions_ui {
        ah_annotations.insert("kubewarden/questions-ui".into(), q.to_string());
    }
    if let Some(h) = annots.get(a::HIDDEN_UI) {
        let b: bool = h.parse().map_err(|_| ArtifactHubError::HiddenUi)?;
        ah_annotations.insert("kubewarden/hidden-ui".into(), b.to_string());
    }
    if let Some(r) = annots.get(a::ARTIFACTHUB_RESOURCES) {
        ah_annotations.insert("kubewarden/resources".into(), r.clone());
    }

    Ok(ArtifactHubPkg {
        version: version.to_string(),
        name: required(a::TITLE)?,
        display_name: required(a::ARTIFACTHUB_DISPLAY_NAME)?,
        created_at: created_at.to_string(),
        description: required(a::DESCRIPTION)?,
        license: annots.get(a::LICENSE).cloned(),
        home_url,
        install: install_markdown(&image),
        containers_images: vec![ContainerImage {
            name: "policy".into(),
            image,
        }],
        keywords,
        links,
        maintainers,
        provider: Provider {
            name: "kubewarden".into(),
        },
        recommendations: vec![Recommendation {
            url: CONTROLLER_RECOMMENDATION.into(),
        }],
        annotations: ah_annotations,
    })
}

/// Characters kept as-is in a URL path segment (RFC 3986 unreserved).
const RELEASE_TAG_SET: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn install_markdown(image: &str) -> String {
    format!(
        "The policy can be obtained using [`kwctl`](https://github.com/kubewarden/kwctl):\n\
         ```console\n\
         kwctl pull {image}\n\
         ```\n\
         Then, generate the policy manifest and tune it to your liking. For example:\n\
         ```console\n\
         kwctl scaffold manifest -t ClusterAdmissionPolicy registry://{image}\n\
         ```\n"
    )
}

/// Owners written to this project's `artifacthub/artifacthub-repo.yml`.
pub fn project_owners() -> Vec<RepoOwner> {
    vec![RepoOwner {
        name: "kubewarden-rs admission-policies maintainers".into(),
        email: "maintainers@kubewarden-rs.invalid".into(),
    }]
}

/// This project's `artifacthub/artifacthub-repo.yml` ([`REPOSITORY_ID`], [`project_owners`]).
pub fn project_repo_yml() -> Result<String> {
    artifacthub_repo_yml(REPOSITORY_ID, &project_owners())
}

/// `artifacthub-repo.yml` content.
pub fn artifacthub_repo_yml(repository_id: &str, owners: &[RepoOwner]) -> Result<String> {
    let repo = ArtifactHubRepo {
        repository_id: repository_id.to_string(),
        owners: owners.to_vec(),
    };
    Ok(format!(
        "# Artifact Hub repository metadata: only repositoryID matters to Artifact Hub.\n{}",
        to_yaml("artifacthub-repo.yml", &repo)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacthub::model::Maintainer;

    fn full_metadata() -> Metadata {
        Metadata::from_yaml_str(
            r##"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE", "UPDATE"]
mutating: true
contextAwareResources:
  - apiVersion: v1
    kind: Namespace
annotations:
  io.kubewarden.policy.title: restart-policy
  io.kubewarden.policy.version: 0.1.0
  io.kubewarden.policy.description: Enforces a restart policy
  io.kubewarden.policy.author: "Tux Tuxedo <tux@example.com>, \"Pidgin, The\" <pidgin@example.com>"
  io.kubewarden.policy.url: https://github.com/kubewarden-rs/admission-policies
  io.kubewarden.policy.source: https://github.com/kubewarden-rs/admission-policies
  io.kubewarden.policy.license: Apache-2.0
  io.kubewarden.policy.ociUrl: ghcr.io/kubewarden-rs/policies/restart-policy
  io.kubewarden.policy.usage: "# Restart policy"
  io.kubewarden.policy.severity: medium
  io.kubewarden.policy.category: Resource validation
  io.artifacthub.displayName: Restart Policy
  io.artifacthub.resources: Pod
  io.artifacthub.keywords: pod, restart policy ,workload
  io.kubewarden.hidden-ui: "false"
  com.github.release.tag: restart-policy/v0.1.0
"##,
        )
        .unwrap()
    }

    const DATE: &str = "2026-05-21T10:11:12+02:00";

    #[test]
    fn full_package_has_every_field() {
        let yaml =
            artifacthub_pkg(&full_metadata(), Some("questions:\n- variable: x\n"), DATE).unwrap();
        assert!(yaml.starts_with("# Kubewarden Artifacthub Package config\n"));
        let v: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
        let keys: Vec<&str> = v
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "version",
                "name",
                "displayName",
                "createdAt",
                "description",
                "license",
                "homeURL",
                "containersImages",
                "keywords",
                "links",
                "install",
                "maintainers",
                "provider",
                "recommendations",
                "annotations"
            ]
        );
        let pkg: ArtifactHubPkg = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(pkg.version, "0.1.0");
        assert_eq!(pkg.name, "restart-policy");
        assert_eq!(pkg.display_name, "Restart Policy");
        assert_eq!(pkg.created_at, DATE);
        assert_eq!(
            pkg.containers_images,
            vec![ContainerImage {
                name: "policy".into(),
                image: "ghcr.io/kubewarden-rs/policies/restart-policy:v0.1.0".into()
            }]
        );
        assert_eq!(pkg.keywords.unwrap(), ["pod", "restart policy", "workload"]);
        let links = pkg.links.unwrap();
        assert_eq!(
            links[0].url,
            "https://github.com/kubewarden-rs/admission-policies/releases/download/restart-policy%2Fv0.1.0/policy.wasm"
        );
        assert_eq!(links[1].name, "source");
        assert!(pkg.install.contains(
            "kwctl scaffold manifest -t ClusterAdmissionPolicy registry://ghcr.io/kubewarden-rs/policies/restart-policy:v0.1.0\n```\n"
        ));
        assert!(
            pkg.install
                .contains("kwctl pull ghcr.io/kubewarden-rs/policies/restart-policy:v0.1.0\n")
        );
        assert_eq!(
            pkg.maintainers.unwrap(),
            vec![
                Maintainer {
                    name: "Tux Tuxedo".into(),
                    email: "tux@example.com".into()
                },
                Maintainer {
                    name: "Pidgin, The".into(),
                    email: "pidgin@example.com".into()
                },
            ]
        );
        assert_eq!(pkg.provider.name, "kubewarden");
        assert_eq!(pkg.recommendations[0].url, CONTROLLER_RECOMMENDATION);
        let ann = &pkg.annotations;
        assert_eq!(ann["kubewarden/mutation"], "true");
        assert_eq!(ann["kubewarden/resources"], "Pod");
        assert_eq!(ann["kubewarden/hidden-ui"], "false");
        assert_eq!(
            ann["kubewarden/questions-ui"],
            "questions:\n- variable: x\n"
        );
        assert_eq!(
            ann["kubewarden/contextAwareResources"],
            "- apiVersion: v1\n  kind: Namespace\n"
        );
        assert!(ann["kubewarden/rules"].starts_with("- apiGroups:\n  - ''\n"));
        assert!(yaml.contains("kubewarden/mutation: 'true'"));
        // Deterministic.
        assert_eq!(
            yaml,
            artifacthub_pkg(&full_metadata(), Some("questions:\n- variable: x\n"), DATE).unwrap()
        );
    }

    #[test]
    fn minimal_and_errors() {
        let mut m = full_metadata();
        let an = m.annotations.as_mut().unwrap();
        for k in [
            a::AUTHOR,
            a::URL,
            a::SOURCE,
            a::LICENSE,
            a::ARTIFACTHUB_KEYWORDS,
            a::HIDDEN_UI,
        ] {
            an.remove(k);
        }
        m.context_aware_resources.clear();
        let pkg = build_artifacthub_pkg(&m, None, "1970-01-01T00:00:00Z").unwrap();
        assert!(pkg.links.is_none() && pkg.maintainers.is_none() && pkg.keywords.is_none());
        assert!(
            !pkg.annotations
                .contains_key("kubewarden/contextAwareResources")
        );

        assert!(build_artifacthub_pkg(&m, Some(""), DATE).is_err());
        assert!(build_artifacthub_pkg(&m, None, "yesterday").is_err());
        let mut no_oci = m.clone();
        no_oci.annotations.as_mut().unwrap().remove(a::OCI_URL);
        let err = build_artifacthub_pkg(&no_oci, None, DATE).unwrap_err();
        assert!(err.to_string().contains(a::OCI_URL));
        let mut bad_ver = m.clone();
        bad_ver
            .annotations
            .as_mut()
            .unwrap()
            .insert(a::VERSION.into(), "one".into());
        assert!(build_artifacthub_pkg(&bad_ver, None, DATE).is_err());

        // Non-GitHub source: only the source link; no release tag: v<version>.
        let mut gl = m.clone();
        gl.annotations
            .as_mut()
            .unwrap()
            .insert(a::SOURCE.into(), "https://gitlab.com/x/y".into());
        let links = build_artifacthub_pkg(&gl, None, DATE)
            .unwrap()
            .links
            .unwrap();
        assert_eq!(links.len(), 1);
        let mut gh = m.clone();
        let an = gh.annotations.as_mut().unwrap();
        an.insert(a::SOURCE.into(), "https://github.com/x/y".into());
        an.remove(a::GITHUB_RELEASE_TAG);
        let links = build_artifacthub_pkg(&gh, None, DATE)
            .unwrap()
            .links
            .unwrap();
        assert_eq!(
            links[0].url,
            "https://github.com/x/y/releases/download/v0.1.0/policy.wasm"
        );
    }

    #[test]
    fn repo_file() {
        let y = artifacthub_repo_yml(
            REPOSITORY_ID,
            &[RepoOwner {
                name: "n".into(),
                email: "n@example.com".into(),
            }],
        )
        .unwrap();
        let r: ArtifactHubRepo = serde_yaml::from_str(&y).unwrap();
        assert_eq!(r.repository_id, REPOSITORY_ID);
        assert!(y.contains("repositoryID: "));
    }

    #[test]
    fn committed_repo_file_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../artifacthub/artifacthub-repo.yml"
        );
        let committed = std::fs::read_to_string(path).unwrap();
        assert_eq!(committed, project_repo_yml().unwrap(), "{path} is stale");
    }
}
