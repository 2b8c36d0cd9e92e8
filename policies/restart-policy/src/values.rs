//! The three API values of `restartPolicy` and what each workload kind accepts.

use policy_common::WorkloadKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

impl RestartPolicy {
    pub const ALL: [RestartPolicy; 3] = [
        RestartPolicy::Always,
        RestartPolicy::OnFailure,
        RestartPolicy::Never,
    ];

    /// Case-sensitive, as the API server: `always` is not a restart policy.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }

    fn bit(self) -> u8 {
        match self {
            RestartPolicy::Always => 1,
            RestartPolicy::OnFailure => 2,
            RestartPolicy::Never => 4,
        }
    }
}

/// Error text for a value outside the three API values.
pub const EXPECTED: &str = "expected Always, OnFailure or Never (case-sensitive)";

/// A set of restart policies, in the fixed order Always, OnFailure, Never.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicySet(u8);

impl PolicySet {
    pub fn of(values: &[RestartPolicy]) -> Self {
        PolicySet(values.iter().fold(0, |acc, v| acc | v.bit()))
    }

    pub fn contains(self, value: RestartPolicy) -> bool {
        self.0 & value.bit() != 0
    }

    pub fn insert(&mut self, value: RestartPolicy) {
        self.0 |= value.bit();
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `OnFailure, Never`, for messages.
    pub fn describe(self) -> String {
        RestartPolicy::ALL
            .into_iter()
            .filter(|v| self.contains(*v))
            .map(RestartPolicy::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What the API server accepts for the pod template of `kind` (and the policy's defaults).
pub fn api_allowed(kind: WorkloadKind) -> PolicySet {
    use RestartPolicy::*;
    match kind {
        WorkloadKind::Pod | WorkloadKind::PodTemplate => PolicySet::of(&[Always, OnFailure, Never]),
        WorkloadKind::Job | WorkloadKind::CronJob => PolicySet::of(&[OnFailure, Never]),
        WorkloadKind::Deployment
        | WorkloadKind::ReplicaSet
        | WorkloadKind::StatefulSet
        | WorkloadKind::DaemonSet
        | WorkloadKind::ReplicationController => PolicySet::of(&[Always]),
    }
}

/// The value written by the mutation when no default is configured for `kind`: the API default
/// `Always` for Pods and controllers, `Never` for Job pods (failed pods stay inspectable).
pub fn mutation_default(kind: WorkloadKind) -> RestartPolicy {
    if kind.runs_job_pods() {
        RestartPolicy::Never
    } else {
        RestartPolicy::Always
    }
}

/// Kinds the settings maps accept: every workload kind with a pod template this policy admits.
pub fn settings_kind(key: &str) -> Option<WorkloadKind> {
    WorkloadKind::from_kind(key).filter(|k| *k != WorkloadKind::PodTemplate)
}

pub const KINDS: &str =
    "Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController, Job, CronJob";

/// What a pod or container field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field<'a> {
    /// Absent or `null`.
    Unset,
    Valid(RestartPolicy),
    /// A string outside the three values.
    Unknown(&'a str),
    /// Not a string.
    NotAString,
}

impl<'a> Field<'a> {
    pub fn read(value: Option<&'a serde_json::Value>) -> Self {
        match value {
            None | Some(serde_json::Value::Null) => Field::Unset,
            Some(serde_json::Value::String(s)) => {
                RestartPolicy::parse(s).map_or(Field::Unknown(s), Field::Valid)
            }
            Some(_) => Field::NotAString,
        }
    }

    /// The message for an invalid value of `subject` at `pointer` (`None` when unset or valid).
    pub fn invalid_message(self, subject: &str, pointer: &str) -> Option<String> {
        match self {
            Field::Unknown(s) => Some(format!(
                "{subject} restartPolicy '{}' at {pointer} is not a valid value ({EXPECTED})",
                policy_common::redact::value(s)
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_is_case_sensitive() {
        assert_eq!(RestartPolicy::parse("Never"), Some(RestartPolicy::Never));
        assert_eq!(RestartPolicy::parse("never"), None);
        assert_eq!(RestartPolicy::parse("ALWAYS"), None);
        assert_eq!(RestartPolicy::parse(""), None);
    }

    #[test]
    fn fields() {
        use serde_json::json;
        assert_eq!(Field::read(None), Field::Unset);
        assert_eq!(Field::read(Some(&json!(null))), Field::Unset);
        assert_eq!(
            Field::read(Some(&json!("Never"))),
            Field::Valid(RestartPolicy::Never)
        );
        let odd = json!("never");
        assert_eq!(Field::read(Some(&odd)), Field::Unknown("never"));
        assert_eq!(
            Field::read(Some(&odd))
                .invalid_message("Pod", "/spec/restartPolicy")
                .unwrap(),
            "Pod restartPolicy 'never' at /spec/restartPolicy is not a valid value (expected Always, OnFailure or Never (case-sensitive))"
        );
        assert_eq!(Field::read(Some(&json!(3))), Field::NotAString);
        assert!(
            Field::read(Some(&json!(3)))
                .invalid_message("Pod", "/x")
                .is_none(),
            "a wrong type is a malformed finding, not an invalid value"
        );
        assert!(
            Field::read(Some(&json!("Always")))
                .invalid_message("Pod", "/x")
                .is_none()
        );
        let planted = json!("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789");
        let m = Field::read(Some(&planted))
            .invalid_message("Pod", "/spec/restartPolicy")
            .unwrap();
        assert!(!m.contains("ghp_aBcD"), "{m}");
    }

    #[test]
    fn api_sets_per_kind() {
        assert_eq!(
            api_allowed(WorkloadKind::Pod).describe(),
            "Always, OnFailure, Never"
        );
        assert_eq!(
            api_allowed(WorkloadKind::Job).describe(),
            "OnFailure, Never"
        );
        assert_eq!(
            api_allowed(WorkloadKind::CronJob).describe(),
            "OnFailure, Never"
        );
        assert_eq!(api_allowed(WorkloadKind::DaemonSet).describe(), "Always");
        assert_eq!(
            mutation_default(WorkloadKind::CronJob),
            RestartPolicy::Never
        );
        assert_eq!(mutation_default(WorkloadKind::Pod), RestartPolicy::Always);
        assert!(settings_kind("PodTemplate").is_none());
        assert!(settings_kind("pod").is_none());
        assert_eq!(settings_kind("CronJob"), Some(WorkloadKind::CronJob));
    }
}
