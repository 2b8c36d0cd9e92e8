//! Rules `pod-restart-policy` (allowed values per kind) and `missing-restart-policy`.

use crate::rules::RuleId;
use crate::settings::{MissingMode, Settings};
use crate::values::{Field, RestartPolicy};
use policy_common::shape::Malformed;
use policy_common::{Action, PodSpec, Report};
use serde_json::Value;

/// Checks the pod `restartPolicy` of `spec` (inside `object`), mutating a missing one when
/// configured. Returns the value the pods will run with, `None` when unknown (unset in a Job
/// pod template without a mutation, or invalid).
pub fn check(
    settings: &Settings,
    spec: &PodSpec<'_>,
    object: &Value,
    report: &mut Report,
) -> Option<RestartPolicy> {
    let kind = spec.kind;
    let pointer = spec.field_pointer("restartPolicy");
    let action = settings.actions.pod_restart_policy;
    let allowed = settings.allowed(kind);
    let field = Field::read(spec.get("restartPolicy"));

    let (value, unset) = match field {
        Field::Valid(v) => (v, false),
        Field::NotAString => {
            // Read by the pod rules and, in a Job pod, by `job-pod-failure-policy`.
            let mut readers = action.strictest(settings.actions.missing_restart_policy);
            if kind.runs_job_pods() {
                readers = readers.strictest(settings.actions.job_pod_failure_policy);
            }
            report.malformed(&Malformed::new(pointer, "a string"), readers);
            return None;
        }
        Field::Unknown(_) => {
            // Values the API itself would refuse are denied whatever the rule's action (unless off).
            let action = if action.is_on() { Action::Deny } else { action };
            let message = field
                .invalid_message(kind.as_str(), &pointer)
                .unwrap_or_default();
            report.add(RuleId::PodRestartPolicy.as_str(), action, message);
            return None;
        }
        Field::Unset => {
            let mode = settings.missing_restart_policy;
            if mode == MissingMode::Mutate {
                let value = settings.default_for(kind);
                policy_common::json::set(
                    report.mutated_or(object),
                    &pointer,
                    Value::String(value.as_str().to_string()),
                );
                return Some(value);
            }
            if kind.runs_job_pods() || mode == MissingMode::Require {
                let why = if kind.runs_job_pods() {
                    "the API has no default for Job pods"
                } else {
                    "missingRestartPolicy is require"
                };
                report.add(
                    RuleId::MissingRestartPolicy.as_str(),
                    settings.actions.missing_restart_policy,
                    format!(
                        "{kind} restartPolicy is not set at {pointer}: set it explicitly to one of {} ({why})",
                        allowed.describe()
                    ),
                );
                if kind.runs_job_pods() {
                    return None;
                }
            }
            (RestartPolicy::Always, true)
        }
    };

    if !allowed.contains(value) {
        let what = if unset {
            format!(
                "{kind} restartPolicy at {pointer} is not set, so the API defaults it to Always, which"
            )
        } else {
            format!("{kind} restartPolicy '{}' at {pointer}", value.as_str())
        };
        report.add(
            RuleId::PodRestartPolicy.as_str(),
            action,
            format!(
                "{what} is not allowed (allowed for {kind}: {})",
                allowed.describe()
            ),
        );
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_common::WorkloadKind;
    use serde_json::json;

    fn settings(v: Value) -> Settings {
        serde_json::from_value(v).unwrap()
    }

    fn run(s: &Settings, kind: WorkloadKind, object: &Value) -> (Option<RestartPolicy>, Report) {
        let mut report = Report::new();
        let spec = PodSpec::find(kind, object).unwrap();
        let value = check(s, &spec, object, &mut report);
        (value, report)
    }

    fn deployment(policy: Option<&str>) -> Value {
        let mut spec = json!({"containers": [{"name": "app", "image": "nginx"}]});
        if let Some(p) = policy {
            spec["restartPolicy"] = json!(p);
        }
        json!({"spec": {"template": {"spec": spec}}})
    }

    #[test]
    fn allowed_values_per_kind() {
        let s = Settings::default();
        let (v, r) = run(&s, WorkloadKind::Deployment, &deployment(Some("Always")));
        assert_eq!(v, Some(RestartPolicy::Always));
        assert!(r.violations().is_empty());

        let (_, r) = run(&s, WorkloadKind::Deployment, &deployment(Some("Never")));
        let msg = &r.violations()[0].message;
        assert_eq!(r.violations()[0].rule, RuleId::PodRestartPolicy.as_str());
        assert!(msg.contains("Deployment restartPolicy 'Never' at /spec/template/spec/restartPolicy is not allowed (allowed for Deployment: Always)"), "{msg}");

        let job = json!({"spec": {"template": {"spec": {"restartPolicy": "OnFailure"}}}});
        assert!(run(&s, WorkloadKind::Job, &job).1.violations().is_empty());
        let strict = settings(json!({"allowedByKind": {"Job": ["Never"]}}));
        let (_, r) = run(&strict, WorkloadKind::Job, &job);
        assert!(r.violations()[0].message.contains("allowed for Job: Never"));
    }

    #[test]
    fn invalid_values_are_denied_even_when_warning() {
        let s = settings(json!({"actions": {"podRestartPolicy": "warn"}}));
        let (v, r) = run(
            &s,
            WorkloadKind::Pod,
            &json!({"spec": {"restartPolicy": "always"}}),
        );
        assert_eq!(v, None);
        assert!(r.is_denied());
        assert!(
            r.violations()[0]
                .message
                .contains("Pod restartPolicy 'always' at /spec/restartPolicy is not a valid value")
        );
        let (_, r) = run(
            &s,
            WorkloadKind::Pod,
            &json!({"spec": {"restartPolicy": 1}}),
        );
        assert_eq!(r.violations()[0].rule, "malformed");
        assert_eq!(
            r.violations()[0].message,
            "malformed request: /spec/restartPolicy must be a string"
        );
        assert!(r.is_denied(), "missing-restart-policy (deny) reads it too");
        let off = settings(json!({"actions": {"podRestartPolicy": "off"}}));
        let (_, r) = run(
            &off,
            WorkloadKind::Pod,
            &json!({"spec": {"restartPolicy": "x"}}),
        );
        assert!(r.violations().is_empty());
    }

    #[test]
    fn missing_value_modes() {
        let pod = json!({"spec": {"containers": []}});
        let s = Settings::default();
        let (v, r) = run(&s, WorkloadKind::Pod, &pod);
        assert_eq!(v, Some(RestartPolicy::Always));
        assert!(r.violations().is_empty());

        let never_only = settings(json!({"allowedByKind": {"Pod": ["Never"]}}));
        let (_, r) = run(&never_only, WorkloadKind::Pod, &pod);
        assert!(
            r.violations()[0]
                .message
                .contains("is not set, so the API defaults it to Always, which is not allowed")
        );

        let job = json!({"spec": {"template": {"spec": {}}}});
        let (v, r) = run(&s, WorkloadKind::Job, &job);
        assert_eq!(v, None);
        assert_eq!(
            r.violations()[0].rule,
            RuleId::MissingRestartPolicy.as_str()
        );
        assert!(
            r.violations()[0]
                .message
                .contains("the API has no default for Job pods")
        );

        let require = settings(json!({"missingRestartPolicy": "require"}));
        let (_, r) = run(&require, WorkloadKind::Pod, &pod);
        assert_eq!(r.violations().len(), 1);
        assert!(
            r.violations()[0]
                .message
                .contains("Pod restartPolicy is not set at /spec/restartPolicy")
        );
        assert!(
            run(
                &require,
                WorkloadKind::Pod,
                &json!({"spec": {"restartPolicy": "Never"}})
            )
            .1
            .violations()
            .is_empty()
        );
    }

    #[test]
    fn mutation_sets_only_the_field() {
        let s = settings(
            json!({"missingRestartPolicy": "mutate", "defaultByKind": {"Pod": "OnFailure"}}),
        );
        let cron = json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}});
        let (v, r) = run(&s, WorkloadKind::CronJob, &cron);
        assert_eq!(v, Some(RestartPolicy::Never));
        let resp = r.into_response();
        let mut expected = cron.clone();
        expected["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] =
            json!("Never");
        assert_eq!(resp.mutated_object, Some(expected));

        let pod = json!({"spec": {"containers": []}});
        let (v, r) = run(&s, WorkloadKind::Pod, &pod);
        assert_eq!(v, Some(RestartPolicy::OnFailure));
        assert_eq!(
            r.into_response().mutated_object.unwrap()["spec"]["restartPolicy"],
            "OnFailure"
        );

        let (_, r) = run(
            &s,
            WorkloadKind::Pod,
            &json!({"spec": {"restartPolicy": "Never"}}),
        );
        assert!(r.into_response().mutated_object.is_none());
    }
}
