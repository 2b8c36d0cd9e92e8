//! Policy settings. Patterns are normalised while deserialising (see `policy_common::image`), so a bad
//! pattern is reported with its exact setting path.

use kubewarden_policy_sdk::settings::Validatable;
use policy_common::image::{ImagePattern, RegistryPattern, RepositoryPrefix};
use policy_common::settings::{MAX_ENTRIES, SettingsError, unique, unique_names};
use policy_common::{Action, Exemptions};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    pub exemptions: ImageExemptions,
    pub registries: Registries,
    pub repositories: Repositories,
    pub tags: Tags,
    pub digests: Digests,
    pub pinning: Pinning,
    pub signatures: Signatures,
    pub on_update: OnUpdate,
}

/// The common exemption block plus image patterns.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ImageExemptions {
    pub namespaces: Vec<String>,
    pub names: Vec<String>,
    pub label_selector: Option<policy_common::selector::LabelSelector>,
    pub users: Vec<String>,
    pub groups: Vec<String>,
    /// Images that no rule checks or mutates.
    pub images: Vec<ImagePattern>,
}

impl ImageExemptions {
    pub fn common(&self) -> Exemptions {
        Exemptions {
            namespaces: self.namespaces.clone(),
            names: self.names.clone(),
            label_selector: self.label_selector.clone(),
            users: self.users.clone(),
            groups: self.groups.clone(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Registries {
    pub action: Action,
    /// When non-empty, only these registries.
    pub allow: Vec<RegistryPattern>,
    pub reject: Vec<RegistryPattern>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Repositories {
    pub action: Action,
    pub allow: Vec<ImagePattern>,
    pub reject: Vec<ImagePattern>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Tags {
    pub action: Action,
    pub reject: Vec<String>,
    /// When non-empty (or with `allowSemver`), a tag must match one of these globs.
    pub allow: Vec<String>,
    pub allow_semver: bool,
    /// Refuse references with neither tag nor digest (an implicit `latest`).
    pub require_tag_or_digest: bool,
}

impl Default for Tags {
    fn default() -> Self {
        Tags {
            action: Action::Deny,
            reject: vec!["latest".to_owned()],
            allow: Vec::new(),
            allow_semver: false,
            require_tag_or_digest: false,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Digests {
    pub action: Action,
    pub require: bool,
    /// Repository prefixes that need no digest.
    pub exempt: Vec<RepositoryPrefix>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Pinning {
    /// Rewrite tag-only references to `registry/repository:tag@digest`.
    pub enabled: bool,
    /// What a failed digest lookup does (`deny`, `warn`, or `off` to leave the image as is).
    pub on_lookup_failure: Action,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Signatures {
    pub action: Action,
    /// Rewrite verified images to the digest that was verified.
    pub mutate_to_digest: bool,
    pub rules: Vec<SignatureRule>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SignatureRule {
    /// Shown in messages; `signatures.rules[i]` when absent.
    pub name: Option<String>,
    pub images: Vec<ImagePattern>,
    pub verifiers: Vec<Verifier>,
    /// Annotations every signature must carry.
    pub annotations: Option<BTreeMap<String, String>>,
    /// How many verifiers must succeed; all of them when absent.
    pub threshold: Option<usize>,
}

/// One way to verify a signature; each is one `oci/v2/verify` call.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Verifier {
    /// A PEM public key.
    PubKey(String),
    Keyless(Keyless),
    KeylessPrefix(KeylessPrefix),
    GithubActions(GithubActions),
    Certificate(Certificate),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Keyless {
    pub issuer: String,
    pub subject: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeylessPrefix {
    pub issuer: String,
    pub url_prefix: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GithubActions {
    pub owner: String,
    #[serde(default)]
    pub repo: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Certificate {
    pub certificate: String,
    #[serde(default)]
    pub certificate_chain: Option<Vec<String>>,
    #[serde(default = "yes")]
    pub require_rekor_bundle: bool,
}

fn yes() -> bool {
    true
}

impl Verifier {
    pub fn kind(&self) -> &'static str {
        match self {
            Verifier::PubKey(_) => "pubKey",
            Verifier::Keyless(_) => "keyless",
            Verifier::KeylessPrefix(_) => "keylessPrefix",
            Verifier::GithubActions(_) => "githubActions",
            Verifier::Certificate(_) => "certificate",
        }
    }

    #[inline]
    fn validate(&self, path: &str) -> Result<(), SettingsError> {
        let pem = |field: &str, v: &str| {
            if v.contains("-----BEGIN ") {
                Ok(())
            } else {
                Err(SettingsError(format!(
                    "{path}.{field}: must be PEM encoded (-----BEGIN ...)"
                )))
            }
        };
        let non_empty = |field: &str, v: &str| {
            if v.trim().is_empty() {
                Err(SettingsError(format!("{path}.{field}: must not be empty")))
            } else {
                Ok(())
            }
        };
        match self {
            Verifier::PubKey(k) => pem("pubKey", k),
            Verifier::Keyless(k) => {
                non_empty("keyless.issuer", &k.issuer)?;
                non_empty("keyless.subject", &k.subject)
            }
            Verifier::KeylessPrefix(k) => {
                non_empty("keylessPrefix.issuer", &k.issuer)?;
                non_empty("keylessPrefix.urlPrefix", &k.url_prefix)
            }
            Verifier::GithubActions(g) => {
                // A GitHub owner or repository name, never a URL or a path.
                let name = |field: &str, v: &str| {
                    non_empty(field, v)?;
                    if v.contains(['/', ':', '@']) {
                        return Err(SettingsError(format!(
                            "{path}.{field}: must be a GitHub name, not a URL or path"
                        )));
                    }
                    Ok(())
                };
                name("githubActions.owner", &g.owner)?;
                match &g.repo {
                    Some(r) => name("githubActions.repo", r),
                    None => Ok(()),
                }
            }
            Verifier::Certificate(c) => {
                pem("certificate.certificate", &c.certificate)?;
                let chain = c.certificate_chain.as_deref().unwrap_or_default();
                policy_common::settings::capped("certificate.certificateChain", chain.len())?;
                for (i, cert) in c.certificate_chain.iter().flatten().enumerate() {
                    pem(&format!("certificate.certificateChain[{i}]"), cert)?;
                }
                Ok(())
            }
        }
    }
}

impl SignatureRule {
    pub fn threshold(&self) -> usize {
        self.threshold.unwrap_or(self.verifiers.len())
    }

    pub fn label(&self, index: usize) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("signatures.rules[{index}]"),
        }
    }
}

/// Which containers an UPDATE judges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnUpdate {
    /// Every container, as on CREATE.
    #[default]
    All,
    /// Only containers whose reference is new or differs from the old object's same container.
    Changed,
}

impl Settings {
    /// What `validate_settings` checks beyond deserialisation.
    #[inline]
    pub fn check(&self) -> Result<(), SettingsError> {
        let ex = &self.exemptions;
        ex.common().validate("exemptions")?;
        unique_names("tags.reject", &self.tags.reject)?;
        unique_names("tags.allow", &self.tags.allow)?;
        unique("exemptions.images", &ex.images)?;
        unique("registries.allow", &self.registries.allow)?;
        unique("registries.reject", &self.registries.reject)?;
        unique("repositories.allow", &self.repositories.allow)?;
        unique("repositories.reject", &self.repositories.reject)?;
        unique("digests.exempt", &self.digests.exempt)?;
        let rules = &self.signatures.rules;
        policy_common::settings::capped("signatures.rules", rules.len())?;
        let names: Vec<_> = rules.iter().filter_map(|r| r.name.as_deref()).collect();
        unique("signatures.rules[].name", &names)?;
        for (i, rule) in rules.iter().enumerate() {
            let path = format!("signatures.rules[{i}]");
            unique(&format!("{path}.images"), &rule.images)?;
            unique(&format!("{path}.verifiers"), &rule.verifiers)?;
            if rule
                .annotations
                .as_ref()
                .is_some_and(|a| a.len() > MAX_ENTRIES)
            {
                return Err(SettingsError(format!(
                    "{path}.annotations: at most {MAX_ENTRIES} entries"
                )));
            }
            if rule.images.is_empty() {
                return Err(SettingsError(format!(
                    "{path}.images: must list at least one image pattern"
                )));
            }
            if rule.verifiers.is_empty() {
                return Err(SettingsError(format!(
                    "{path}.verifiers: must list at least one verifier"
                )));
            }
            if rule.name.as_ref().is_some_and(|n| n.trim().is_empty()) {
                return Err(SettingsError(format!("{path}.name: must not be empty")));
            }
            for (j, v) in rule.verifiers.iter().enumerate() {
                v.validate(&format!("{path}.verifiers[{j}]"))?;
            }
            let t = rule.threshold();
            if t == 0 || t > rule.verifiers.len() {
                return Err(SettingsError(format!(
                    "{path}.threshold: must be between 1 and the number of verifiers ({})",
                    rule.verifiers.len()
                )));
            }
        }
        Ok(())
    }
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        self.check().map_err(String::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::settings::SettingsValidationResponse;

    fn check(settings: &str) -> Result<(), String> {
        let raw =
            policy_common::settings::validate_settings::<Settings>(settings.as_bytes()).unwrap();
        let r: SettingsValidationResponse = serde_json::from_slice(&raw).unwrap();
        if r.valid {
            Ok(())
        } else {
            Err(r.message.unwrap_or_default())
        }
    }

    const KEY: &str = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----";

    #[test]
    fn lists_are_capped() {
        let many: Vec<String> = (0..=MAX_ENTRIES)
            .map(|i| format!("reg{i}.example"))
            .collect();
        let settings = serde_json::json!({"registries": {"allow": many}}).to_string();
        assert_eq!(
            check(&settings),
            Err(format!(
                "registries.allow: at most {MAX_ENTRIES} entries, got {}",
                MAX_ENTRIES + 1
            ))
        );
        let enough = &many[..MAX_ENTRIES];
        let settings = serde_json::json!({"registries": {"allow": enough}}).to_string();
        assert_eq!(check(&settings), Ok(()));
    }

    #[test]
    fn defaults_are_valid_and_ban_latest() {
        assert!(check("{}").is_ok());
        let s = Settings::default();
        assert_eq!(s.tags.reject, ["latest"]);
        assert_eq!(s.on_update, OnUpdate::All);
        assert!(!s.pinning.enabled && !s.digests.require);
    }

    #[test]
    fn full_settings_parse() {
        let json = serde_json::json!({
            "exemptions": {"namespaces": ["kube-system"], "images": ["ghcr.io/org/tools/*"]},
            "registries": {"allow": ["*.corp.example", "ghcr.io"], "reject": ["docker.io"], "action": "warn"},
            "repositories": {"allow": ["ghcr.io/org/**"], "reject": ["ghcr.io/org/legacy:*"]},
            "tags": {"reject": ["latest", "*-rc*"], "allowSemver": true, "requireTagOrDigest": true},
            "digests": {"require": true, "exempt": ["ghcr.io/org/base"]},
            "pinning": {"enabled": true, "onLookupFailure": "warn"},
            "signatures": {"mutateToDigest": true, "rules": [{
                "name": "org", "images": ["ghcr.io/org/**"], "threshold": 1,
                "annotations": {"env": "prod"},
                "verifiers": [
                    {"pubKey": KEY},
                    {"keyless": {"issuer": "https://token.actions.githubusercontent.com", "subject": "x"}},
                    {"keylessPrefix": {"issuer": "i", "urlPrefix": "https://github.com/org/"}},
                    {"githubActions": {"owner": "org", "repo": "app"}},
                    {"certificate": {"certificate": KEY, "certificateChain": [KEY]}}
                ]
            }]},
            "onUpdate": "changed"
        });
        assert_eq!(check(&json.to_string()), Ok(()));
        let s: Settings = serde_json::from_value(json).unwrap();
        assert_eq!(s.signatures.rules[0].threshold(), 1);
        match &s.signatures.rules[0].verifiers[4] {
            Verifier::Certificate(c) => assert!(c.require_rekor_bundle, "secure default"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_setting() {
        for (settings, path) in [
            (
                r#"{"registries": {"allow": ["https://ghcr.io"]}}"#,
                "registries.allow[0]",
            ),
            (
                r#"{"registries": {"reject": ["corp"]}}"#,
                "registries.reject[0]",
            ),
            (
                r#"{"repositories": {"allow": ["ok/x", "Bad/Repo"]}}"#,
                "repositories.allow[1]",
            ),
            (r#"{"tags": {"reject": [""]}}"#, "tags.reject[0]"),
            (r#"{"tags": {"action": "block"}}"#, "tags.action"),
            (
                r#"{"digests": {"exempt": ["ghcr.io/*"]}}"#,
                "digests.exempt[0]",
            ),
            (
                r#"{"pinning": {"onLookupFailure": "maybe"}}"#,
                "pinning.onLookupFailure",
            ),
            (r#"{"onUpdate": "sometimes"}"#, "onUpdate"),
            (
                r#"{"exemptions": {"images": ["UPPER"]}}"#,
                "exemptions.images[0]",
            ),
            (
                r#"{"exemptions": {"namespaces": [""]}}"#,
                "exemptions.namespaces[0]",
            ),
            (r#"{"registry": {}}"#, "registry: unknown field `registry`"),
            (
                r#"{"signatures": {"rules": [{"verifiers": [{"pubKey": "k"}]}]}}"#,
                "signatures.rules[0].images",
            ),
            (
                r#"{"signatures": {"rules": [{"images": ["x"]}]}}"#,
                "signatures.rules[0].verifiers",
            ),
            (
                r#"{"signatures": {"rules": [{"images": ["x"], "verifiers": [{"pubKey": "k"}]}]}}"#,
                "signatures.rules[0].verifiers[0].pubKey",
            ),
            (
                r#"{"signatures": {"rules": [{"images": ["x"], "verifiers": [{"keyless": {"issuer": "i", "subject": " "}}]}]}}"#,
                "signatures.rules[0].verifiers[0].keyless.subject",
            ),
            (
                r#"{"signatures": {"rules": [{"images": ["x"], "verifiers": [{"sigil": "k"}]}]}}"#,
                "signatures.rules[0].verifiers[0]",
            ),
            (
                r#"{"signatures": {"rules": [{"images": ["x"], "threshold": 2, "verifiers": [{"githubActions": {"owner": "o"}}]}]}}"#,
                "signatures.rules[0].threshold",
            ),
            (
                r#"{"signatures": {"rules": [{"images": ["x"], "threshold": 0, "verifiers": [{"githubActions": {"owner": "o"}}]}]}}"#,
                "signatures.rules[0].threshold",
            ),
            (
                r#"{"registries": {"reject": ["ghcr.io", "GHCR.io"]}}"#,
                "registries.reject[1]: duplicates registries.reject[0]",
            ),
            (
                r#"{"repositories": {"allow": ["nginx", "docker.io/library/nginx"]}}"#,
                "repositories.allow[1]: duplicates repositories.allow[0]",
            ),
            (
                r#"{"tags": {"allow": ["v*", "v*"]}}"#,
                "tags.allow[1]: duplicates tags.allow[0]",
            ),
            (
                r#"{"exemptions": {"namespaces": ["a", "a"]}}"#,
                "exemptions.namespaces[1]: duplicate entry",
            ),
            (
                r#"{"exemptions": {"images": [""]}}"#,
                "exemptions.images[0]",
            ),
            (r#"{"digests": {"exempt": [""]}}"#, "digests.exempt[0]"),
            (
                r#"{"repositories": {"allow": ["https://ghcr.io/org/app"]}}"#,
                "repositories.allow[0]",
            ),
            (
                r#"{"digests": {"exempt": ["https://ghcr.io/org"]}}"#,
                "digests.exempt[0]",
            ),
            (
                r#"{"exemptions": {"images": ["oci://ghcr.io/org/*"]}}"#,
                "exemptions.images[0]",
            ),
            (
                r#"{"signatures": {"rules": [{"images": ["https://ghcr.io/org/*"], "verifiers": [{"githubActions": {"owner": "o"}}]}]}}"#,
                "signatures.rules[0].images[0]",
            ),
            (
                r#"{"signatures": {"rules": [{"images": ["x"], "verifiers": [{"githubActions": {"owner": "https://github.com/org"}}]}]}}"#,
                "signatures.rules[0].verifiers[0].githubActions.owner: must be a GitHub name",
            ),
            (
                r#"{"signatures": {"rules": [{"name": "a", "images": ["x"], "verifiers": [{"githubActions": {"owner": "o"}}]}, {"name": "a", "images": ["y"], "verifiers": [{"githubActions": {"owner": "o"}}]}]}}"#,
                "signatures.rules[].name[1]: duplicates",
            ),
            (
                r#"{"signatures": {"rules": [{"images": ["x", "x"], "verifiers": [{"githubActions": {"owner": "o"}}]}]}}"#,
                "signatures.rules[0].images[1]: duplicates",
            ),
            (
                r#"{"onUpdate": "sometimes"}"#,
                "onUpdate: unknown variant `sometimes`, expected `all` or `changed`",
            ),
        ] {
            let err = check(settings).expect_err(settings);
            assert!(err.starts_with(path), "{settings}: {err}");
        }
    }
}
