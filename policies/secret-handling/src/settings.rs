//! Settings of the policy: one block per rule family, every rule with its own action.

use kubewarden_policy_sdk::settings::Validatable;
use policy_common::glob::glob_match;
use policy_common::settings::{SettingsError, capped, names};
use policy_common::{Action, Exemptions};
use serde::Deserialize;

/// The API default for secret volume files (`0644`).
pub const API_DEFAULT_MODE: u32 = 0o644;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    pub exemptions: Exemptions,
    pub env_secrets: EnvSecrets,
    pub references: References,
    pub plaintext: Plaintext,
    pub volumes: Volumes,
    pub service_account_token: ServiceAccountToken,
    pub service_accounts: ServiceAccounts,
    pub secrets: Secrets,
    pub image_pull_secrets: ImagePullSecrets,
    pub mutation: Mutation,
}

/// Secrets consumed as environment variables.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct EnvSecrets {
    /// `env[].valueFrom.secretKeyRef`.
    pub secret_key_ref: Action,
    /// `envFrom[].secretRef`.
    pub env_from: Action,
    /// Secret names (exact, or a prefix written `name-*`) that may still be used as env.
    pub allowed_secrets: Vec<String>,
}

impl Default for EnvSecrets {
    fn default() -> Self {
        EnvSecrets {
            secret_key_ref: Action::Warn,
            env_from: Action::Warn,
            allowed_secrets: Vec::new(),
        }
    }
}

/// Which Secrets a workload may reference at all.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct References {
    pub action: Action,
    /// Secret names or prefixes (`name-*`); empty = any Secret may be referenced.
    pub allowed_secrets: Vec<String>,
    /// Denies `volumes[].secret` and projected secret sources altogether.
    pub secret_volumes: Action,
}

impl Default for References {
    fn default() -> Self {
        References {
            action: Action::Deny,
            allowed_secrets: Vec::new(),
            secret_volumes: Action::Off,
        }
    }
}

/// Plaintext credentials.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Plaintext {
    /// Env values, `command` and `args` of every container.
    pub action: Action,
    /// ConfigMap `data` values.
    pub config_maps: Action,
    /// Variable names (globs, case-insensitive) never reported, e.g. `PUBLIC_*`.
    pub allowed_names: Vec<String>,
    /// Regexes; a value matching one is never reported.
    pub allowed_values: Vec<String>,
    /// Extra detectors: `{id, pattern}` with a regex.
    pub detectors: Vec<CustomDetector>,
    /// Built-in detector ids to switch off.
    pub disabled_detectors: Vec<String>,
    /// Sensitive-name rule: more names (case-insensitive substrings of a variable, flag or
    /// key name; a glob over the whole name when they hold `*` or `?`).
    pub sensitive_names: Vec<String>,
    /// Sensitive-name rule: `false` keeps only `sensitiveNames`.
    pub built_in_sensitive_names: bool,
    /// Sensitive-name rule: which literals under a sensitive name are reported.
    pub sensitive_name_values: SensitiveNameValues,
    /// Sensitive-name rule: minimum literal length.
    pub min_length: usize,
    /// Sensitive-name rule: minimum Shannon entropy in bits per character.
    pub min_entropy: f64,
}

impl Default for Plaintext {
    fn default() -> Self {
        Plaintext {
            action: Action::Deny,
            config_maps: Action::Off,
            allowed_names: Vec::new(),
            allowed_values: Vec::new(),
            detectors: Vec::new(),
            disabled_detectors: Vec::new(),
            sensitive_names: Vec::new(),
            built_in_sensitive_names: true,
            sensitive_name_values: SensitiveNameValues::HighEntropy,
            min_length: 8,
            min_entropy: 3.0,
        }
    }
}

/// Which literal values under a sensitive name the `sensitive-name` detector reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SensitiveNameValues {
    /// At least `minLength` characters and `minEntropy` bits per character, not a
    /// placeholder, number or boolean.
    #[default]
    HighEntropy,
    /// Every non-empty literal (the guards for names, paths and `$(VAR)` references stay).
    Any,
}

/// By hand, as `Action`: a wrong type is refused with the allowed values listed, and the
/// module stays smaller than with the derive.
impl<'de> Deserialize<'de> for SensitiveNameValues {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SensitiveNameValues;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("one of highEntropy or any")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "highEntropy" => Ok(SensitiveNameValues::HighEntropy),
                    "any" => Ok(SensitiveNameValues::Any),
                    _ => Err(E::unknown_variant(v, &["highEntropy", "any"])),
                }
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomDetector {
    pub id: String,
    pub pattern: String,
}

/// Secret volume hygiene.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Volumes {
    /// Action for `defaultMode` / `items[].mode` with bits outside `maxMode`.
    pub mode: Action,
    /// Maximum file mode: an integer (decimal, as in the Kubernetes API) or an octal string
    /// such as `"0440"`.
    pub max_mode: ModeSetting,
    /// Requires `readOnly: true` on every mount of a secret volume.
    pub read_only: Action,
    /// Mounts of secret volumes with `subPath` / `subPathExpr`.
    pub sub_path: Action,
}

impl Default for Volumes {
    fn default() -> Self {
        Volumes {
            mode: Action::Deny,
            max_mode: ModeSetting::Number(0o440),
            read_only: Action::Off,
            sub_path: Action::Warn,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ModeSetting {
    Number(i64),
    Octal(String),
}

impl ModeSetting {
    /// The mode, or why it is not one.
    pub fn value(&self) -> Result<u32, ModeError> {
        let v = match self {
            ModeSetting::Number(n) => *n,
            ModeSetting::Octal(s) => {
                let digits = s.strip_prefix("0o").unwrap_or(s);
                if digits.is_empty() || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                    return Err(ModeError::NotAMode);
                }
                i64::from_str_radix(digits, 8).map_err(|_| ModeError::TooLarge)?
            }
        };
        if !(0..=0o777).contains(&v) {
            return Err(ModeError::OutOfRange);
        }
        Ok(v as u32)
    }

    pub fn get(&self) -> u32 {
        self.value().unwrap_or(0o440)
    }
}

/// Why a `maxMode` is not a file mode (the message has no setting path).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModeError {
    #[error("must be an integer or an octal string such as \"0440\"")]
    NotAMode,
    #[error("octal value too large")]
    TooLarge,
    #[error("must be between 0 and 0777 (511)")]
    OutOfRange,
}

/// Pod-level service-account tokens.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ServiceAccountToken {
    /// `automountServiceAccountToken: true` on the pod.
    pub automount: Action,
    /// `automountServiceAccountToken` not set to `false` on the pod.
    pub require_explicit_false: Action,
    /// A volumeMount at (or under) the token path.
    pub token_path_mount: Action,
    /// Do not judge UPDATE requests for these checks.
    pub skip_update: bool,
}

impl Default for ServiceAccountToken {
    fn default() -> Self {
        ServiceAccountToken {
            automount: Action::Deny,
            require_explicit_false: Action::Off,
            token_path_mount: Action::Off,
            skip_update: false,
        }
    }
}

/// ServiceAccount objects.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ServiceAccounts {
    /// `automountServiceAccountToken` not `false`.
    pub automount: Action,
    /// ServiceAccount names (globs) `automount` applies to; empty: every ServiceAccount.
    pub automount_names: Vec<String>,
    /// Namespaces (globs) `automount` applies in; empty: every namespace.
    pub automount_namespaces: Vec<String>,
    /// A non-empty `.secrets` list (long-lived tokens).
    pub secrets: Action,
}

impl Default for ServiceAccounts {
    fn default() -> Self {
        ServiceAccounts {
            automount: Action::Warn,
            automount_names: Vec::new(),
            automount_namespaces: Vec::new(),
            secrets: Action::Warn,
        }
    }
}

impl ServiceAccounts {
    /// Whether the `automount` rule (and its mutation) applies to this ServiceAccount.
    pub fn automount_applies_to(&self, name: &str, namespace: &str) -> bool {
        let selects = |globs: &[String], value: &str| {
            globs.is_empty() || globs.iter().any(|g| glob_match(g, value))
        };
        selects(&self.automount_names, name) && selects(&self.automount_namespaces, namespace)
    }
}

/// Secret objects.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Secrets {
    pub types: Action,
    /// Empty = every type not denied.
    pub allowed_types: Vec<String>,
    pub denied_types: Vec<String>,
    /// Validity of dockerconfigjson / dockercfg Secrets.
    pub docker_config: Action,
    /// Registry hosts (`host_match` patterns) a docker config may hold; empty = any.
    pub allowed_registries: Vec<String>,
    pub immutable: Action,
    pub metadata: Action,
    pub required_labels: Vec<RequiredKey>,
    pub required_annotations: Vec<RequiredKey>,
}

impl Default for Secrets {
    fn default() -> Self {
        Secrets {
            types: Action::Deny,
            allowed_types: Vec::new(),
            denied_types: vec!["kubernetes.io/service-account-token".into()],
            docker_config: Action::Deny,
            allowed_registries: Vec::new(),
            immutable: Action::Off,
            metadata: Action::Deny,
            required_labels: Vec::new(),
            required_annotations: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredKey {
    pub key: String,
    /// Regex the value must match; absent = any value.
    #[serde(default)]
    pub pattern: Option<String>,
}

/// `imagePullSecrets` for private registries.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ImagePullSecrets {
    pub action: Action,
    /// Registry hosts (`host_match` patterns) that need no pull secret.
    pub public_registries: Vec<String>,
}

impl Default for ImagePullSecrets {
    fn default() -> Self {
        ImagePullSecrets {
            action: Action::Off,
            public_registries: [
                "docker.io",
                "registry.k8s.io",
                "quay.io",
                "ghcr.io",
                "gcr.io",
                "mcr.microsoft.com",
                "public.ecr.aws",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// Mutation.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Mutation {
    pub enabled: bool,
}

fn check_regex(path: &str, pattern: &str) -> Result<(), SettingsError> {
    regex_lite::Regex::new(pattern)
        .map(|_| ())
        .map_err(|e| SettingsError(format!("{path}: invalid regex: {e}")))
}

impl Settings {
    /// What `validate_settings` checks beyond deserialisation.
    #[inline]
    pub fn check(&self) -> Result<(), SettingsError> {
        self.exemptions.validate("exemptions")?;
        names(
            "envSecrets.allowedSecrets",
            &self.env_secrets.allowed_secrets,
        )?;
        names(
            "references.allowedSecrets",
            &self.references.allowed_secrets,
        )?;
        let p = &self.plaintext;
        names("plaintext.allowedNames", &p.allowed_names)?;
        names("plaintext.allowedValues", &p.allowed_values)?;
        for (i, pattern) in p.allowed_values.iter().enumerate() {
            check_regex(&format!("plaintext.allowedValues[{i}]"), pattern)?;
        }
        capped("plaintext.detectors", p.detectors.len())?;
        for (i, d) in p.detectors.iter().enumerate() {
            let path = format!("plaintext.detectors[{i}]");
            if d.id.trim().is_empty() {
                return Err(SettingsError(format!("{path}.id: must not be empty")));
            }
            if p.detectors[..i].iter().any(|o| o.id == d.id)
                || crate::detect::BUILTIN_IDS.contains(&d.id.as_str())
            {
                return Err(SettingsError(format!(
                    "{path}.id: duplicate detector id (ids of other detectors and the built-in ones are taken)"
                )));
            }
            let pattern = format!("{path}.pattern");
            if d.pattern.is_empty() {
                return Err(SettingsError(format!("{pattern}: must not be empty")));
            }
            check_regex(&pattern, &d.pattern)?;
            if regex_lite::Regex::new(&d.pattern).is_ok_and(|r| r.is_match("")) {
                return Err(SettingsError(format!(
                    "{pattern}: matches the empty string, so it would match every value"
                )));
            }
        }
        names("plaintext.sensitiveNames", &p.sensitive_names)?;
        if !p.built_in_sensitive_names && p.sensitive_names.is_empty() {
            return Err(SettingsError(
                "plaintext.builtInSensitiveNames: false needs plaintext.sensitiveNames (to switch the detector off, list 'sensitive-name' in plaintext.disabledDetectors)".into(),
            ));
        }
        names("plaintext.disabledDetectors", &p.disabled_detectors)?;
        names(
            "serviceAccounts.automountNames",
            &self.service_accounts.automount_names,
        )?;
        names(
            "serviceAccounts.automountNamespaces",
            &self.service_accounts.automount_namespaces,
        )?;
        for (i, id) in p.disabled_detectors.iter().enumerate() {
            if !crate::detect::BUILTIN_IDS.contains(&id.as_str()) {
                return Err(SettingsError(format!(
                    "plaintext.disabledDetectors[{i}]: unknown detector; known: {}",
                    crate::detect::BUILTIN_IDS.join(", ")
                )));
            }
        }
        if !(p.min_entropy.is_finite() && (0.0..=8.0).contains(&p.min_entropy)) {
            return Err(SettingsError(
                "plaintext.minEntropy: must be between 0 and 8".into(),
            ));
        }
        self.volumes
            .max_mode
            .value()
            .map_err(|e| SettingsError(format!("volumes.maxMode: {e}")))?;
        let s = &self.secrets;
        names("secrets.allowedTypes", &s.allowed_types)?;
        names("secrets.deniedTypes", &s.denied_types)?;
        names("secrets.allowedRegistries", &s.allowed_registries)?;
        for (field, list) in [
            ("requiredLabels", &s.required_labels),
            ("requiredAnnotations", &s.required_annotations),
        ] {
            capped(&format!("secrets.{field}"), list.len())?;
            for (i, r) in list.iter().enumerate() {
                if r.key.trim().is_empty() {
                    return Err(SettingsError(format!(
                        "secrets.{field}[{i}].key: must not be empty"
                    )));
                }
                if list[..i].iter().any(|o| o.key == r.key) {
                    return Err(SettingsError(format!(
                        "secrets.{field}[{i}].key: duplicate key"
                    )));
                }
                if let Some(pattern) = &r.pattern {
                    check_regex(&format!("secrets.{field}[{i}].pattern"), pattern)?;
                }
            }
        }
        names(
            "imagePullSecrets.publicRegistries",
            &self.image_pull_secrets.public_registries,
        )?;
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
    use serde_json::json;

    fn check(v: serde_json::Value) -> Result<(), String> {
        policy_common::settings::check::<Settings>(v.to_string().as_bytes()).map_err(String::from)
    }

    #[test]
    fn defaults_are_valid() {
        assert!(check(json!({})).is_ok());
        let s = Settings::default();
        assert_eq!(s.volumes.max_mode.get(), 0o440);
        assert_eq!(s.plaintext.action, Action::Deny);
        assert!(!s.mutation.enabled);
    }

    #[test]
    fn invalid_settings_name_the_setting() {
        for (v, path) in [
            (
                json!({"plaintext": {"detectors": [{"id": "x", "pattern": "("}]}}),
                "plaintext.detectors[0].pattern: invalid regex",
            ),
            (
                json!({"plaintext": {"allowedValues": ["[a-"]}}),
                "plaintext.allowedValues[0]",
            ),
            (
                json!({"envSecrets": {"secretKeyRef": "block"}}),
                "envSecrets.secretKeyRef",
            ),
            (json!({"volumes": {"maxMode": 1000}}), "volumes.maxMode"),
            (json!({"volumes": {"maxMode": "0999"}}), "volumes.maxMode"),
            (
                json!({"secrets": {"requiredLabels": [{"key": "a", "pattern": "*"}]}}),
                "secrets.requiredLabels[0].pattern",
            ),
            (
                json!({"plaintext": {"disabledDetectors": ["nope"]}}),
                "plaintext.disabledDetectors[0]",
            ),
            (json!({"typo": 1}), "unknown field `typo`"),
            (
                json!({"plaintext": {"detectors": [{"id": "x", "pattern": ""}]}}),
                "plaintext.detectors[0].pattern: must not be empty",
            ),
            (
                json!({"plaintext": {"detectors": [{"id": "x", "pattern": "a*"}]}}),
                "plaintext.detectors[0].pattern: matches the empty string",
            ),
            (
                json!({"plaintext": {"detectors": [{"id": "x", "pattern": "a"}, {"id": "x", "pattern": "b"}]}}),
                "plaintext.detectors[1].id: duplicate detector id",
            ),
            (
                json!({"plaintext": {"detectors": [{"id": "jwt", "pattern": "b"}]}}),
                "plaintext.detectors[0].id: duplicate detector id",
            ),
            (
                json!({"references": {"allowedSecrets": ["a", "a"]}}),
                "references.allowedSecrets[1]: duplicate entry",
            ),
            (
                json!({"plaintext": {"allowedNames": (0..1001).map(|i| format!("N{i}")).collect::<Vec<_>>()}}),
                "plaintext.allowedNames: at most 1000 entries, got 1001",
            ),
            (
                json!({"secrets": {"requiredLabels": [{"key": "a"}, {"key": "a"}]}}),
                "secrets.requiredLabels[1].key: duplicate key",
            ),
            (
                json!({"volumes": {"mode": true}}),
                "one of deny, warn or off",
            ),
            (
                json!({"exemptions": {"namespaces": [""]}}),
                "exemptions.namespaces[0]",
            ),
        ] {
            let e = check(v).unwrap_err();
            assert!(e.contains(path), "{e} should name {path}");
        }
    }

    #[test]
    fn octal_modes() {
        assert_eq!(ModeSetting::Octal("0400".into()).value(), Ok(0o400));
        assert_eq!(ModeSetting::Number(288).value(), Ok(0o440));
        assert!(ModeSetting::Number(-1).value().is_err());
    }
}
