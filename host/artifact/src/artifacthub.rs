//! Artifact Hub package files (§6), in the format of `kwctl scaffold artifacthub`.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use crate::metadata::{Metadata, annotations as a};

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

/// Generates `artifacthub-pkg.yml` (header + YAML), like
/// `kwctl scaffold artifacthub -m metadata.yml [-q questions-ui.yml]`.
///
/// `created_at` is written verbatim (pass an RFC 3339 date, e.g. the output
/// of `git log -1 --format=%cI -- policies/<name>`), so the output is
/// deterministic. `questions_ui`: raw questions file content (empty is an
/// error, as in kwctl).
pub fn artifacthub_pkg(
    metadata: &Metadata,
    questions_ui: Option<&str>,
    created_at: &str,
) -> Result<String> {
    let pkg = build_artifacthub_pkg(metadata, questions_ui, created_at)?;
    Ok(format!(
        "{ARTIFACTHUB_PKG_HEADER}{}",
        serde_yaml::to_string(&pkg)?
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
        .ok_or_else(|| {
            anyhow!("no annotations in policy metadata. policy metadata must specify annotations")
        })?;
    let required = |key: &str| -> Result<String> {
        annots
            .get(key)
            .cloned()
            .ok_or_else(|| anyhow!("policy metadata must specify \"{key}\" in annotations"))
    };
    let version_str = required(a::VERSION)?;
    let version = semver::Version::parse(&version_str)
        .map_err(|e| anyhow!("policy version must be in semver: {e}"))?;
    if questions_ui.is_some_and(str::is_empty) {
        bail!("questions-ui content cannot be empty");
    }
    validate_rfc3339(created_at)?;
    metadata.validate()?;

    let oci_url = required(a::OCI_URL)?;
    let image = format!("{oci_url}:v{version}");
    let home_url = annots
        .get(a::URL)
        .map(|u| check_url(a::URL, u).map(|_| u.clone()))
        .transpose()?;

    let keywords = annots
        .get(a::ARTIFACTHUB_KEYWORDS)
        .map(|csv| parse_keywords(csv))
        .transpose()?;

    let links = match annots.get(a::SOURCE) {
        None => None,
        Some(source) => {
            let host = check_url(a::SOURCE, source)?;
            let source = source.clone();
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
                url: source,
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
            serde_yaml::to_string(&metadata.context_aware_resources)?,
        );
    }
    ah_annotations.insert(
        "kubewarden/rules".into(),
        serde_yaml::to_string(&metadata.rules)?,
    );
    if let Some(q) = questions_ui {
        ah_annotations.insert("kubewarden/questions-ui".into(), q.to_string());
    }
    if let Some(h) = annots.get(a::HIDDEN_UI) {
        let b: bool = h
            .parse()
            .map_err(|_| anyhow!("annotation \"{}\" must be a boolean string", a::HIDDEN_UI))?;
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

/// Checks `http(s)://host...` and returns the host.
fn check_url<'u>(annot: &str, url: &'u str) -> Result<&'u str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| anyhow!("annotation \"{annot}\" is not an http(s) URL: {url}"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    if host.is_empty() || url.chars().any(char::is_whitespace) {
        bail!("annotation \"{annot}\" is a malformed URL: {url}");
    }
    Ok(host)
}

fn validate_rfc3339(s: &str) -> Result<()> {
    let b = s.as_bytes();
    let ok = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':'
        && [0..4, 5..7, 8..10, 11..13, 14..16, 17..19]
            .into_iter()
            .all(|r| b[r].iter().all(u8::is_ascii_digit))
        && (s.ends_with('Z') || s.ends_with('z') || {
            let tz = &b[b.len() - 6..];
            (tz[0] == b'+' || tz[0] == b'-') && tz[3] == b':'
        });
    if !ok {
        bail!("createdAt must be an RFC 3339 date-time, got {s:?}");
    }
    Ok(())
}

/// CSV of keywords, each trimmed of spaces; empty items are an error.
pub fn parse_keywords(csv: &str) -> Result<Vec<String>> {
    let words: Vec<String> = csv
        .split(',')
        .map(|w| w.trim_matches(' ').to_string())
        .collect();
    if words.iter().any(String::is_empty) {
        bail!(
            "annotation \"{}\" in policy metadata is malformed, must be csv values",
            a::ARTIFACTHUB_KEYWORDS
        );
    }
    Ok(words)
}

/// RFC 5322-style address list: `Name <email>, "Other, Name" <e@x>, bare@x`.
/// Empty items between commas are skipped (as mail_parser does); an empty
/// list or an invalid address is an error.
pub fn parse_maintainers(s: &str) -> Result<Vec<Maintainer>> {
    let malformed = || {
        anyhow!(
            "annotation \"{}\" in policy metadata is malformed, must be csv values of \"name <email>\"",
            a::AUTHOR
        )
    };
    // Split on commas outside quotes and angle brackets.
    let mut items = Vec::new();
    let (mut cur, mut in_quotes, mut in_angle) = (String::new(), false, false);
    for c in s.chars() {
        match c {
            '"' if !in_angle => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => {
                items.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    items.push(cur);

    let mut out = Vec::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let (name, email) = match (item.find('<'), item.rfind('>')) {
            (Some(l), Some(r)) if l < r && item[r + 1..].trim().is_empty() => {
                let name = item[..l].trim().trim_matches('"').trim();
                (name.to_string(), item[l + 1..r].trim().to_string())
            }
            (None, None) => (String::new(), item.to_string()),
            _ => return Err(malformed()),
        };
        validate_email(&email).with_context(|| format!("annotation \"{}\"", a::AUTHOR))?;
        out.push(Maintainer { name, email });
    }
    if out.is_empty() {
        return Err(malformed());
    }
    Ok(out)
}

fn validate_email(email: &str) -> Result<()> {
    let (local, domain) = email
        .rsplit_once('@')
        .ok_or_else(|| anyhow!("invalid email address {email:?}"))?;
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let domain_ok = !domain.is_empty()
        && domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !local_ok || !domain_ok {
        bail!("invalid email address {email:?}");
    }
    Ok(())
}

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
        serde_yaml::to_string(&repo)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn keywords_and_maintainers() {
        assert_eq!(
            parse_keywords(" foo,bar, faz fiz, baz").unwrap(),
            ["foo", "bar", "faz fiz", "baz"]
        );
        assert!(parse_keywords("").is_err());
        assert!(parse_keywords("foo,,bar").is_err());
        assert_eq!(
            parse_maintainers("Foo <foo@example.com>,,Bar <bar@example.com>")
                .unwrap()
                .len(),
            2
        );
        assert!(parse_maintainers("").is_err());
        assert!(parse_maintainers("Foo foo@example.com, Bar <bar@example.com>").is_err());
        assert!(parse_maintainers("Bar <#$%#$%>").is_err());
        assert_eq!(
            parse_maintainers("solo@example.com").unwrap(),
            vec![Maintainer {
                name: String::new(),
                email: "solo@example.com".into()
            }]
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
