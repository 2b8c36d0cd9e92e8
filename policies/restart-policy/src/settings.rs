//! Settings of the `restart-policy` policy.

use crate::values::{self, PolicySet, RestartPolicy};
use kubewarden_policy_sdk::settings::Validatable;
use policy_common::image::ImagePattern;
use policy_common::settings::{SettingsError, unique_names};
use policy_common::{Action, Exemptions, WorkloadKind};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    /// Kind name -> allowed pod `restartPolicy` values; kinds not listed keep the API's set.
    pub allowed_by_kind: BTreeMap<String, Vec<String>>,
    pub missing_restart_policy: MissingMode,
    /// Kind name -> value the `mutate` mode writes.
    pub default_by_kind: BTreeMap<String, String>,
    pub jobs: JobSettings,
    pub container_restart_policy: ContainerSettings,
    pub actions: Actions,
    pub exemptions: Exemptions,
}

/// What an unset pod `restartPolicy` means.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum MissingMode {
    /// As the API server: `Always` for Pods and controllers; a Job pod must set it.
    #[default]
    ApiDefault,
    /// Every pod template must set it.
    Require,
    /// Set it to the kind's default (`defaultByKind`).
    Mutate,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct JobSettings {
    pub max_backoff_limit: Option<i64>,
    pub max_backoff_limit_per_index: Option<i64>,
    /// Indexed Jobs must set `backoffLimitPerIndex`.
    pub require_backoff_limit_per_index: bool,
    pub active_deadline_seconds: Bound,
    pub ttl_seconds_after_finished: Bound,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Bound {
    pub required: bool,
    pub max: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ContainerSettings {
    /// Container-level values allowed where container-level restartPolicy is allowed at all.
    pub allowed_values: Vec<String>,
    /// `false` forbids native sidecars (init containers with `restartPolicy: Always`).
    pub sidecars: bool,
    /// When not empty, only these images may run as native sidecars: image patterns, kept as
    /// written and parsed where they are matched (a `Vec<ImagePattern>` would link a second
    /// sequence deserialiser into the module).
    pub sidecar_images: Vec<String>,
    pub allow_on_containers: bool,
    pub allow_on_ephemeral_containers: bool,
    pub allow_restart_policy_rules: bool,
}

impl Default for ContainerSettings {
    fn default() -> Self {
        ContainerSettings {
            allowed_values: vec!["Always".to_string()],
            sidecars: true,
            sidecar_images: Vec::new(),
            allow_on_containers: false,
            allow_on_ephemeral_containers: false,
            allow_restart_policy_rules: false,
        }
    }
}

/// One action per rule id.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Actions {
    pub pod_restart_policy: Action,
    pub missing_restart_policy: Action,
    pub job_backoff_limit: Action,
    pub job_pod_failure_policy: Action,
    pub job_active_deadline: Action,
    pub job_ttl: Action,
    pub container_restart_policy: Action,
    pub container_restart_rules: Action,
}

impl Bound {
    /// Whether the rule has anything to check, and so reads its field.
    pub fn reads(&self) -> bool {
        self.required || self.max.is_some()
    }
}

impl Settings {
    /// Allowed pod restart policies for `kind` (invalid entries were refused by `validate`).
    pub fn allowed(&self, kind: WorkloadKind) -> PolicySet {
        match self.allowed_by_kind.get(kind.as_str()) {
            Some(list) => {
                let mut set = PolicySet::default();
                list.iter()
                    .filter_map(|v| RestartPolicy::parse(v))
                    .for_each(|v| set.insert(v));
                set
            }
            None => values::api_allowed(kind),
        }
    }

    /// The value the mutation writes for `kind`: the configured one, else the built-in default
    /// when allowed, else the first allowed value (Always, OnFailure, Never order).
    pub fn default_for(&self, kind: WorkloadKind) -> RestartPolicy {
        let allowed = self.allowed(kind);
        if let Some(v) = self
            .default_by_kind
            .get(kind.as_str())
            .and_then(|v| RestartPolicy::parse(v))
        {
            return v;
        }
        let builtin = values::mutation_default(kind);
        if allowed.contains(builtin) {
            return builtin;
        }
        RestartPolicy::ALL
            .into_iter()
            .find(|v| allowed.contains(*v))
            .unwrap_or(builtin)
    }

    pub fn container_allowed_values(&self) -> PolicySet {
        let mut set = PolicySet::default();
        self.container_restart_policy
            .allowed_values
            .iter()
            .filter_map(|v| RestartPolicy::parse(v))
            .for_each(|v| set.insert(v));
        set
    }
}

fn kind_key(path: &str, key: &str) -> Result<WorkloadKind, SettingsError> {
    values::settings_kind(key).ok_or_else(|| {
        SettingsError(format!(
            "{path}.{key}: unknown kind (expected one of {})",
            values::KINDS
        ))
    })
}

fn restart_value(path: &str, value: &str) -> Result<RestartPolicy, SettingsError> {
    RestartPolicy::parse(value).ok_or_else(|| {
        SettingsError(format!(
            "{path}: unknown restartPolicy '{value}' ({})",
            values::EXPECTED
        ))
    })
}

fn non_negative(path: &str, value: Option<i64>, min: i64) -> Result<(), SettingsError> {
    match value {
        Some(v) if v < min => Err(SettingsError(format!(
            "{path}: must be at least {min}, got {v}"
        ))),
        _ => Ok(()),
    }
}

impl Settings {
    /// What `validate_settings` checks beyond deserialisation.
    #[inline]
    pub fn check(&self) -> Result<(), SettingsError> {
        for (key, list) in &self.allowed_by_kind {
            let kind = kind_key("allowedByKind", key)?;
            let api = values::api_allowed(kind);
            if list.is_empty() {
                return Err(SettingsError(format!(
                    "allowedByKind.{key}: must allow at least one value (the API accepts {})",
                    api.describe()
                )));
            }
            unique_names(&format!("allowedByKind.{key}"), list)?;
            for (i, v) in list.iter().enumerate() {
                let path = format!("allowedByKind.{key}[{i}]");
                let value = restart_value(&path, v)?;
                if !api.contains(value) {
                    return Err(SettingsError(format!(
                        "{path}: the API rejects restartPolicy {v} for a {key} (it accepts {})",
                        api.describe()
                    )));
                }
            }
        }
        for (key, v) in &self.default_by_kind {
            let kind = kind_key("defaultByKind", key)?;
            let path = format!("defaultByKind.{key}");
            let value = restart_value(&path, v)?;
            let allowed = self.allowed(kind);
            if !allowed.contains(value) {
                return Err(SettingsError(format!(
                    "{path}: {v} is not allowed for a {key} (allowed: {})",
                    allowed.describe()
                )));
            }
        }

        let jobs = &self.jobs;
        non_negative("jobs.maxBackoffLimit", jobs.max_backoff_limit, 0)?;
        non_negative(
            "jobs.maxBackoffLimitPerIndex",
            jobs.max_backoff_limit_per_index,
            0,
        )?;
        // The API requires activeDeadlineSeconds > 0 and ttlSecondsAfterFinished >= 0.
        non_negative(
            "jobs.activeDeadlineSeconds.max",
            jobs.active_deadline_seconds.max,
            1,
        )?;
        non_negative(
            "jobs.ttlSecondsAfterFinished.max",
            jobs.ttl_seconds_after_finished.max,
            0,
        )?;

        let containers = &self.container_restart_policy;
        unique_names(
            "containerRestartPolicy.allowedValues",
            &containers.allowed_values,
        )?;
        unique_names(
            "containerRestartPolicy.sidecarImages",
            &containers.sidecar_images,
        )?;
        for (i, v) in containers.allowed_values.iter().enumerate() {
            restart_value(&format!("containerRestartPolicy.allowedValues[{i}]"), v)?;
        }
        let mut patterns = Vec::with_capacity(containers.sidecar_images.len());
        for (i, pattern) in containers.sidecar_images.iter().enumerate() {
            let parsed = ImagePattern::parse(pattern).map_err(|e| {
                SettingsError(format!("containerRestartPolicy.sidecarImages[{i}]: {e}"))
            })?;
            if let Some(j) = patterns.iter().position(|p| *p == parsed) {
                return Err(SettingsError(format!(
                    "containerRestartPolicy.sidecarImages[{i}]: duplicates containerRestartPolicy.sidecarImages[{j}] after normalisation"
                )));
            }
            patterns.push(parsed);
        }
        self.exemptions.validate("exemptions")
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
    use policy_common::settings::MAX_ENTRIES;
    use serde_json::json;

    fn check(v: serde_json::Value) -> Result<(), String> {
        policy_common::settings::check::<Settings>(v.to_string().as_bytes()).map_err(String::from)
    }

    #[test]
    fn defaults_are_valid_and_mirror_the_api() {
        let s = Settings::default();
        assert!(s.validate().is_ok());
        assert_eq!(s.allowed(WorkloadKind::Job).describe(), "OnFailure, Never");
        assert_eq!(s.allowed(WorkloadKind::Deployment).describe(), "Always");
        assert_eq!(s.default_for(WorkloadKind::CronJob), RestartPolicy::Never);
        assert_eq!(s.container_allowed_values().describe(), "Always");
        assert!(check(json!({})).is_ok());
    }

    #[test]
    fn stricter_choices_and_defaults() {
        let s: Settings = serde_json::from_value(json!({
            "allowedByKind": {"Job": ["OnFailure"], "Pod": ["OnFailure", "Never"]},
            "defaultByKind": {"Deployment": "Always"}
        }))
        .unwrap();
        assert!(s.validate().is_ok());
        assert_eq!(s.default_for(WorkloadKind::Job), RestartPolicy::OnFailure);
        assert_eq!(s.default_for(WorkloadKind::Pod), RestartPolicy::OnFailure);
        assert_eq!(
            s.default_for(WorkloadKind::Deployment),
            RestartPolicy::Always
        );
    }

    #[test]
    fn invalid_settings_name_the_setting() {
        for (settings, path) in [
            (
                json!({"allowedByKind": {"Cronjob": ["Never"]}}),
                "allowedByKind.Cronjob: unknown kind",
            ),
            (
                json!({"allowedByKind": {"PodTemplate": ["Never"]}}),
                "allowedByKind.PodTemplate: unknown kind",
            ),
            (
                json!({"allowedByKind": {"Job": ["never"]}}),
                "allowedByKind.Job[0]: unknown restartPolicy 'never'",
            ),
            (
                json!({"allowedByKind": {"Job": ["Always"]}}),
                "allowedByKind.Job[0]: the API rejects",
            ),
            (
                json!({"allowedByKind": {"Deployment": ["Never"]}}),
                "allowedByKind.Deployment[0]: the API rejects",
            ),
            (
                json!({"allowedByKind": {"Pod": []}}),
                "allowedByKind.Pod: must allow at least one",
            ),
            (
                json!({"allowedByKind": {"Pod": "Never"}}),
                "allowedByKind.Pod: invalid type",
            ),
            (
                json!({"defaultByKind": {"Foo": "Never"}}),
                "defaultByKind.Foo: unknown kind",
            ),
            (
                json!({"defaultByKind": {"Job": "Sometimes"}}),
                "defaultByKind.Job: unknown restartPolicy",
            ),
            (
                json!({"allowedByKind": {"Job": ["Never"]}, "defaultByKind": {"Job": "OnFailure"}}),
                "defaultByKind.Job: OnFailure is not allowed",
            ),
            (
                json!({"missingRestartPolicy": "set"}),
                "missingRestartPolicy: unknown variant",
            ),
            (
                json!({"jobs": {"maxBackoffLimit": -1}}),
                "jobs.maxBackoffLimit: must be at least 0",
            ),
            (
                json!({"jobs": {"maxBackoffLimitPerIndex": -2}}),
                "jobs.maxBackoffLimitPerIndex: must be at least 0",
            ),
            (
                json!({"jobs": {"activeDeadlineSeconds": {"max": 0}}}),
                "jobs.activeDeadlineSeconds.max: must be at least 1",
            ),
            (
                json!({"jobs": {"ttlSecondsAfterFinished": {"max": -5}}}),
                "jobs.ttlSecondsAfterFinished.max: must be at least 0",
            ),
            (json!({"jobs": {"ttl": 5}}), "jobs.ttl: unknown field `ttl`"),
            (
                json!({"containerRestartPolicy": {"allowedValues": ["Sometimes"]}}),
                "containerRestartPolicy.allowedValues[0]: unknown restartPolicy",
            ),
            (
                json!({"containerRestartPolicy": {"sidecarImages": ["Bad Image"]}}),
                "containerRestartPolicy.sidecarImages[0]:",
            ),
            (
                json!({"actions": {"jobTtl": "block"}}),
                "actions.jobTtl: unknown variant",
            ),
            (
                json!({"exemptions": {"namespaces": [""]}}),
                "exemptions.namespaces[0]",
            ),
            (
                json!({"exemptions": {"users": ["a", "a"]}}),
                "exemptions.users[1]: duplicate entry",
            ),
            (
                json!({"allowedByKind": {"Pod": ["Never", "Never"]}}),
                "allowedByKind.Pod[1]: duplicates allowedByKind.Pod[0]",
            ),
            (
                json!({"containerRestartPolicy": {"allowedValues": ["Always", "Always"]}}),
                "containerRestartPolicy.allowedValues[1]: duplicates",
            ),
            (
                json!({"containerRestartPolicy": {"sidecarImages": [""]}}),
                "containerRestartPolicy.sidecarImages[0]: must not be empty",
            ),
            (
                json!({"containerRestartPolicy": {"sidecarImages": ["istio/proxyv2", "docker.io/istio/proxyv2"]}}),
                "containerRestartPolicy.sidecarImages[1]: duplicates containerRestartPolicy.sidecarImages[0] after normalisation",
            ),
            (
                json!({"containerRestartPolicy": {"sidecarImages": ["https://ghcr.io/org/envoy"]}}),
                "containerRestartPolicy.sidecarImages[0]:",
            ),
            (
                json!({"containerRestartPolicy": {"sidecarImages": ["oci://ghcr.io/org/envoy"]}}),
                "containerRestartPolicy.sidecarImages[0]:",
            ),
            (
                json!({"missingRestartPolicy": "set"}),
                "missingRestartPolicy: unknown variant `set`, expected one of `apiDefault`, `require`, `mutate`",
            ),
            (
                json!({"containerRestartPolicy": {"sidecarImages": (0..=MAX_ENTRIES).map(|i| format!("ghcr.io/org/s{i}")).collect::<Vec<_>>()}}),
                "containerRestartPolicy.sidecarImages: at most 1000 entries, got 1001",
            ),
        ] {
            let err = check(settings.clone()).expect_err(&settings.to_string());
            assert!(err.starts_with(path), "{settings}: {err}");
        }
    }
}
