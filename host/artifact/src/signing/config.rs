//! Kubewarden's verification config (`kwctl verify --verification-config-path`, the
//! policy-server's `--verification-path`): `apiVersion: v1`, `allOf` signatures that must all be
//! present, `anyOf` signatures of which `minimumMatches` (default 1) must be. kwhost verifies
//! `kind: pubKey` entries, offline; keyless kinds need Fulcio and Rekor and are refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::SigningError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationConfig {
    pub api_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_of: Option<Vec<SignatureRequirement>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_of: Option<AnyOf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnyOf {
    #[serde(default = "one")]
    pub minimum_matches: usize,
    pub signatures: Vec<SignatureRequirement>,
}

fn one() -> usize {
    1
}

/// One signature the config asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SignatureRequirement {
    #[serde(rename_all = "camelCase")]
    PubKey {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        annotations: Option<BTreeMap<String, String>>,
    },
    /// `genericIssuer`, `githubAction`, `url`, `urlPrefix`, `certificate`: keyless or
    /// certificate-based, which this host does not verify.
    #[serde(other)]
    Unsupported,
}

impl SignatureRequirement {
    /// How a message names the requirement: its owner, else the key's fingerprint, and the
    /// annotations it asks for.
    pub fn describe(&self) -> String {
        match self {
            SignatureRequirement::PubKey {
                owner,
                key,
                annotations,
            } => {
                let who = match owner {
                    Some(owner) => format!("pubKey of {owner}"),
                    None => format!("pubKey {}", fingerprint(key)),
                };
                match annotations.as_ref().filter(|a| !a.is_empty()) {
                    Some(a) => format!("{who} with annotations {}", pairs(a)),
                    None => who,
                }
            }
            SignatureRequirement::Unsupported => "an unsupported kind".to_owned(),
        }
    }
}

/// `k=v, k2=v2`.
pub fn pairs(annotations: &BTreeMap<String, String>) -> String {
    annotations
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SHA256:` and the first 16 hex digits of the key's PEM body, enough to tell keys apart.
pub fn fingerprint(pem: &str) -> String {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect::<String>();
    let digest = Sha256::digest(body.trim().as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("SHA256:{hex}")
}

impl VerificationConfig {
    /// A config file; refused when it asks for nothing or for what cannot be checked.
    pub fn parse(text: &str, origin: &str) -> Result<Self, SigningError> {
        let config: VerificationConfig = serde_yaml::from_str(text)
            .map_err(|e| SigningError::Config(format!("{origin}: {e}")))?;
        config.validate(origin)?;
        Ok(config)
    }

    /// What `--verification-key` (each required) and `--verification-annotation` (on every
    /// key) mean, as kwctl builds it.
    pub fn from_keys(
        keys: Vec<String>,
        annotations: BTreeMap<String, String>,
    ) -> Result<Self, SigningError> {
        let config = VerificationConfig {
            api_version: "v1".to_owned(),
            all_of: Some(
                keys.into_iter()
                    .map(|key| SignatureRequirement::PubKey {
                        owner: None,
                        key,
                        annotations: (!annotations.is_empty()).then(|| annotations.clone()),
                    })
                    .collect(),
            ),
            any_of: None,
        };
        config.validate("--verification-key")?;
        Ok(config)
    }

    fn validate(&self, origin: &str) -> Result<(), SigningError> {
        if self.api_version != "v1" {
            return Err(SigningError::Config(format!(
                "{origin}: apiVersion {:?} is not v1",
                self.api_version
            )));
        }
        let all = self.all_of.as_deref().unwrap_or_default();
        let any = self.any_of.as_ref().map_or(&[][..], |a| &a.signatures[..]);
        if all.is_empty() && any.is_empty() {
            return Err(SigningError::Config(format!(
                "{origin}: no constraint: allOf and anyOf are both empty, which would trust any module"
            )));
        }
        if let Some(any_of) = &self.any_of
            && (any_of.minimum_matches == 0 || any_of.minimum_matches > any_of.signatures.len())
        {
            return Err(SigningError::Config(format!(
                "{origin}: anyOf.minimumMatches is {} for {} signatures",
                any_of.minimum_matches,
                any_of.signatures.len()
            )));
        }
        for (i, requirement) in all.iter().chain(any).enumerate() {
            match requirement {
                SignatureRequirement::Unsupported => {
                    return Err(SigningError::Config(format!(
                        "{origin}: signature {i}: only kind pubKey is verified (keyless kinds need Fulcio and Rekor, which kwhost does not use)"
                    )));
                }
                SignatureRequirement::PubKey { key, .. } => {
                    if !key.contains("-----BEGIN PUBLIC KEY-----") {
                        return Err(SigningError::Config(format!(
                            "{origin}: signature {i}: key is not a PEM public key"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

    #[test]
    fn reads_kubewarden_configs() {
        let text = format!(
            "apiVersion: v1\nallOf:\n  - kind: pubKey\n    owner: release\n    key: |\n{}    annotations: {{env: prod}}\nanyOf:\n  minimumMatches: 1\n  signatures:\n    - kind: pubKey\n      key: |\n{}",
            KEY.lines()
                .map(|l| format!("      {l}\n"))
                .collect::<String>(),
            KEY.lines()
                .map(|l| format!("        {l}\n"))
                .collect::<String>(),
        );
        let config = VerificationConfig::parse(&text, "c.yml").unwrap();
        let all = config.all_of.unwrap();
        assert_eq!(
            all[0].describe(),
            "pubKey of release with annotations env=prod"
        );
        assert_eq!(config.any_of.unwrap().signatures.len(), 1);
    }

    #[test]
    fn refuses_what_would_trust_anything_or_cannot_be_checked() {
        let empty = VerificationConfig::parse("apiVersion: v1\n", "c.yml").unwrap_err();
        assert!(empty.to_string().contains("no constraint"), "{empty}");
        let empty = VerificationConfig::parse("apiVersion: v1\nallOf: []\n", "c.yml").unwrap_err();
        assert!(empty.to_string().contains("no constraint"), "{empty}");
        assert!(VerificationConfig::from_keys(vec![], BTreeMap::new()).is_err());
        let keyless = "apiVersion: v1\nallOf:\n  - kind: githubAction\n    owner: org\n";
        let error = VerificationConfig::parse(keyless, "c.yml").unwrap_err();
        assert!(error.to_string().contains("only kind pubKey"), "{error}");
        let v2 = VerificationConfig::parse("apiVersion: v2\nallOf: []\n", "c.yml").unwrap_err();
        assert!(v2.to_string().contains("not v1"), "{v2}");
        let not_pem = "apiVersion: v1\nallOf:\n  - kind: pubKey\n    key: abc\n";
        assert!(VerificationConfig::parse(not_pem, "c.yml").is_err());
        let too_many = format!(
            "apiVersion: v1\nanyOf:\n  minimumMatches: 2\n  signatures:\n    - kind: pubKey\n      key: \"{}\"\n",
            KEY.replace('\n', "\\n")
        );
        assert!(VerificationConfig::parse(&too_many, "c.yml").is_err());
    }

    #[test]
    fn flags_make_every_key_required_with_the_annotations() {
        let annotations = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
        let config =
            VerificationConfig::from_keys(vec![KEY.to_owned(), KEY.to_owned()], annotations)
                .unwrap();
        let all = config.all_of.unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[1].describe().ends_with("with annotations env=prod"));
    }
}
