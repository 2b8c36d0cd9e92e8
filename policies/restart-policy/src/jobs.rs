//! Job retry hygiene: `job-backoff-limit`, `job-pod-failure-policy`, `job-active-deadline`,
//! `job-ttl`. Applies to Jobs and to the job template of CronJobs.

use crate::rules::RuleId;
use crate::settings::{Bound, Settings};
use crate::values::RestartPolicy;
use policy_common::shape::{self, Malformed};
use policy_common::{Action, Report, WorkloadKind};
use serde_json::Value;

/// `backoffLimit` when unset (batch/v1 defaulting).
const DEFAULT_BACKOFF_LIMIT: i64 = 6;
/// `backoffLimit` when unset and `backoffLimitPerIndex` is set.
const DEFAULT_BACKOFF_LIMIT_PER_INDEX_JOB: i64 = i32::MAX as i64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Int {
    Unset,
    Value(i64),
    Invalid,
}

fn int_field(spec: &Value, field: &str) -> Int {
    match spec.get(field) {
        None | Some(Value::Null) => Int::Unset,
        Some(v) => v.as_i64().map_or(Int::Invalid, Int::Value),
    }
}

/// The JobSpec of a Job or CronJob under review.
struct JobSpec<'a> {
    kind: WorkloadKind,
    /// Where the JobSpec is in the object, e.g. `/spec/jobTemplate/spec`.
    pointer: &'static str,
    spec: &'a Value,
}

impl JobSpec<'_> {
    fn int(&self, field: &str) -> Int {
        int_field(self.spec, field)
    }

    /// The pointer of `field`, quoted in messages.
    fn at(&self, field: &str) -> String {
        format!("{}/{field}", self.pointer)
    }
}

/// Checks the JobSpec of a Job or CronJob; `pod_policy` is the pod restartPolicy the pods run with.
pub fn check(
    settings: &Settings,
    kind: WorkloadKind,
    object: &Value,
    pod_policy: Option<RestartPolicy>,
    report: &mut Report,
) {
    let Some(pointer) = kind.job_spec_pointer() else {
        return;
    };
    let spec = match shape::at(object, pointer) {
        Ok(Some(spec)) if spec.is_object() => spec,
        Ok(None) => return,
        Ok(Some(_)) => {
            let problem = Malformed::new(pointer, "an object");
            return report.malformed(&problem, reader_action(settings));
        }
        Err(problem) => return report.malformed(&problem, reader_action(settings)),
    };
    let job = JobSpec {
        kind,
        pointer,
        spec,
    };
    backoff_limit(&job, settings, report);
    backoff_limit_per_index(&job, settings, report);
    pod_failure_policy(&job, settings, pod_policy, report);
    let (jobs, actions) = (&settings.jobs, &settings.actions);
    bound(
        report,
        RuleId::JobActiveDeadline,
        actions.job_active_deadline,
        &jobs.active_deadline_seconds,
        &job,
        "activeDeadlineSeconds",
    );
    bound(
        report,
        RuleId::JobTtl,
        actions.job_ttl,
        &jobs.ttl_seconds_after_finished,
        &job,
        "ttlSecondsAfterFinished",
    );
}

/// The strictest action of the Job rules that read the JobSpec: `job-pod-failure-policy`
/// always, the others when a bound is configured (a rule with nothing to check reads nothing).
pub fn reader_action(settings: &Settings) -> Action {
    let (jobs, a) = (&settings.jobs, &settings.actions);
    let mut action = a.job_pod_failure_policy;
    let backoff = jobs.max_backoff_limit.is_some()
        || jobs.max_backoff_limit_per_index.is_some()
        || jobs.require_backoff_limit_per_index;
    for (reads, rule) in [
        (backoff, a.job_backoff_limit),
        (jobs.active_deadline_seconds.reads(), a.job_active_deadline),
        (jobs.ttl_seconds_after_finished.reads(), a.job_ttl),
    ] {
        if reads {
            action = action.strictest(rule);
        }
    }
    action
}

/// `field` of the JobSpec is not an integer: a malformed finding with `action`.
fn not_an_integer(job: &JobSpec<'_>, field: &str, action: Action, report: &mut Report) {
    report.malformed(&Malformed::new(job.at(field), "an integer"), action);
}

/// `backoffLimit` against `jobs.maxBackoffLimit`, counting an unset one as its API default.
fn backoff_limit(job: &JobSpec<'_>, settings: &Settings, report: &mut Report) {
    let Some(max) = settings.jobs.max_backoff_limit else {
        return;
    };
    let problem = match job.int("backoffLimit") {
        Int::Value(v) if v > max => format!("backoffLimit {v} exceeds"),
        Int::Unset => {
            let (default, why) = if job.int("backoffLimitPerIndex") == Int::Unset {
                (DEFAULT_BACKOFF_LIMIT, "")
            } else {
                (
                    DEFAULT_BACKOFF_LIMIT_PER_INDEX_JOB,
                    " when backoffLimitPerIndex is set",
                )
            };
            if default <= max {
                return;
            }
            format!(
                "backoffLimit is not set, so the API defaults it to {default}{why}, which exceeds"
            )
        }
        Int::Invalid => {
            return not_an_integer(
                job,
                "backoffLimit",
                settings.actions.job_backoff_limit,
                report,
            );
        }
        Int::Value(_) => return,
    };
    report.add(
        RuleId::JobBackoffLimit.as_str(),
        settings.actions.job_backoff_limit,
        format!(
            "{} {problem} the maximum {max} (at {})",
            job.kind,
            job.at("backoffLimit")
        ),
    );
}

/// `backoffLimitPerIndex`: required in indexed Jobs when configured, and bounded.
fn backoff_limit_per_index(job: &JobSpec<'_>, settings: &Settings, report: &mut Report) {
    let (jobs, kind) = (&settings.jobs, job.kind);
    let at = job.at("backoffLimitPerIndex");
    let action = settings.actions.job_backoff_limit;
    let reads = jobs.max_backoff_limit_per_index.is_some() || jobs.require_backoff_limit_per_index;
    let indexed = match shape::string(job.spec, "/completionMode") {
        Ok(mode) => mode == Some("Indexed"),
        Err(_) if reads => {
            let problem = Malformed::new(job.at("completionMode"), "a string");
            return report.malformed(&problem, action);
        }
        Err(_) => false,
    };
    let message = match job.int("backoffLimitPerIndex") {
        Int::Unset if indexed && jobs.require_backoff_limit_per_index => format!(
            "indexed {kind} must set backoffLimitPerIndex (at {at}){}",
            jobs.max_backoff_limit_per_index
                .map(|m| format!(" to at most {m}"))
                .unwrap_or_default()
        ),
        Int::Value(v) if jobs.max_backoff_limit_per_index.is_some_and(|m| v > m) => format!(
            "{kind} backoffLimitPerIndex {v} exceeds the maximum {} (at {at})",
            jobs.max_backoff_limit_per_index.unwrap_or_default(),
        ),
        Int::Invalid if reads => {
            return not_an_integer(job, "backoffLimitPerIndex", action, report);
        }
        _ => return,
    };
    report.add(RuleId::JobBackoffLimit.as_str(), action, message);
}

/// A `podFailurePolicy` only works with pods that are never restarted in place.
fn pod_failure_policy(
    job: &JobSpec<'_>,
    settings: &Settings,
    pod_policy: Option<RestartPolicy>,
    report: &mut Report,
) {
    let action = settings.actions.job_pod_failure_policy;
    let has_failure_policy = match shape::object(job.spec, "/podFailurePolicy") {
        Ok(policy) => policy.is_some(),
        Err(_) => {
            let problem = Malformed::new(job.at("podFailurePolicy"), "an object");
            return report.malformed(&problem, action);
        }
    };
    if !has_failure_policy || pod_policy == Some(RestartPolicy::Never) {
        return;
    }
    let found = pod_policy.map_or("not set".to_string(), |p| format!("'{}'", p.as_str()));
    report.add(
        RuleId::JobPodFailurePolicy.as_str(),
        action,
        format!(
            "{} has a podFailurePolicy (at {}), which requires pod restartPolicy Never, but it is {found} (at {}/restartPolicy)",
            job.kind,
            job.at("podFailurePolicy"),
            job.kind.pod_spec_pointer()
        ),
    );
}

/// `field` is required and bounded as `bound` says.
fn bound(
    report: &mut Report,
    rule: RuleId,
    action: Action,
    bound: &Bound,
    job: &JobSpec<'_>,
    field: &str,
) {
    let max = bound
        .max
        .map(|m| format!(" (at most {m})"))
        .unwrap_or_default();
    let problem = match job.int(field) {
        Int::Unset if bound.required => format!("must set {field}{max}"),
        Int::Value(v) if bound.max.is_some_and(|m| v > m) => {
            format!(
                "{field} {v} exceeds the maximum {}",
                bound.max.unwrap_or_default()
            )
        }
        Int::Invalid if bound.reads() => return not_an_integer(job, field, action, report),
        _ => return,
    };
    report.add(
        rule.as_str(),
        action,
        format!("{} {problem} (at {})", job.kind, job.at(field)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(v: Value) -> Settings {
        serde_json::from_value(v).unwrap()
    }

    fn job(spec: Value) -> Value {
        json!({"spec": spec})
    }

    fn messages(
        s: &Settings,
        kind: WorkloadKind,
        object: &Value,
        pod: Option<RestartPolicy>,
    ) -> Vec<String> {
        let mut report = Report::new();
        check(s, kind, object, pod, &mut report);
        report
            .violations()
            .iter()
            .map(|v| format!("{}: {}", v.rule, v.message))
            .collect()
    }

    const NEVER: Option<RestartPolicy> = Some(RestartPolicy::Never);

    #[test]
    fn backoff_limit_with_api_defaults() {
        let s = settings(json!({"jobs": {"maxBackoffLimit": 3}}));
        assert!(
            messages(
                &s,
                WorkloadKind::Job,
                &job(json!({"backoffLimit": 3})),
                NEVER
            )
            .is_empty()
        );
        let m = messages(
            &s,
            WorkloadKind::Job,
            &job(json!({"backoffLimit": 4})),
            NEVER,
        );
        assert_eq!(
            m,
            ["job-backoff-limit: Job backoffLimit 4 exceeds the maximum 3 (at /spec/backoffLimit)"]
        );
        let m = messages(&s, WorkloadKind::Job, &job(json!({})), NEVER);
        assert!(
            m[0].contains(
                "backoffLimit is not set, so the API defaults it to 6, which exceeds the maximum 3"
            ),
            "{m:?}"
        );
        let m = messages(
            &s,
            WorkloadKind::Job,
            &job(json!({"backoffLimit": "3"})),
            NEVER,
        );
        assert_eq!(
            m,
            ["malformed: malformed request: /spec/backoffLimit must be an integer"]
        );
        let lax = settings(json!({"jobs": {"maxBackoffLimit": 6}}));
        assert!(messages(&lax, WorkloadKind::Job, &job(json!({})), NEVER).is_empty());
        assert!(
            messages(
                &Settings::default(),
                WorkloadKind::Job,
                &job(json!({"backoffLimit": 100})),
                NEVER
            )
            .is_empty()
        );
    }

    #[test]
    fn per_index_limits() {
        let s = settings(
            json!({"jobs": {"maxBackoffLimit": 10, "maxBackoffLimitPerIndex": 2, "requireBackoffLimitPerIndex": true}}),
        );
        let ok = job(
            json!({"completionMode": "Indexed", "backoffLimit": 10, "backoffLimitPerIndex": 2}),
        );
        assert!(messages(&s, WorkloadKind::Job, &ok, NEVER).is_empty());
        let m = messages(
            &s,
            WorkloadKind::Job,
            &job(json!({"completionMode": "Indexed", "backoffLimitPerIndex": 1})),
            NEVER,
        );
        assert!(
            m[0].contains("defaults it to 2147483647 when backoffLimitPerIndex is set"),
            "{m:?}"
        );
        let m = messages(
            &s,
            WorkloadKind::Job,
            &job(
                json!({"completionMode": "Indexed", "backoffLimit": 1, "backoffLimitPerIndex": 5}),
            ),
            NEVER,
        );
        assert_eq!(
            m,
            [
                "job-backoff-limit: Job backoffLimitPerIndex 5 exceeds the maximum 2 (at /spec/backoffLimitPerIndex)"
            ]
        );
        let m = messages(
            &s,
            WorkloadKind::Job,
            &job(json!({"completionMode": "Indexed", "backoffLimit": 1})),
            NEVER,
        );
        assert!(m[0].contains("indexed Job must set backoffLimitPerIndex (at /spec/backoffLimitPerIndex) to at most 2"), "{m:?}");
        assert!(
            messages(
                &s,
                WorkloadKind::Job,
                &job(json!({"backoffLimit": 1})),
                NEVER
            )
            .is_empty(),
            "not indexed"
        );
    }

    #[test]
    fn pod_failure_policy_needs_never() {
        let s = Settings::default();
        let with = json!({"spec": {"jobTemplate": {"spec": {"podFailurePolicy": {"rules": []}}}}});
        assert!(messages(&s, WorkloadKind::CronJob, &with, NEVER).is_empty());
        let m = messages(
            &s,
            WorkloadKind::CronJob,
            &with,
            Some(RestartPolicy::OnFailure),
        );
        assert_eq!(
            m,
            [
                "job-pod-failure-policy: CronJob has a podFailurePolicy (at /spec/jobTemplate/spec/podFailurePolicy), which requires pod restartPolicy Never, but it is 'OnFailure' (at /spec/jobTemplate/spec/template/spec/restartPolicy)"
            ]
        );
        let m = messages(
            &s,
            WorkloadKind::Job,
            &job(json!({"podFailurePolicy": {}})),
            None,
        );
        assert!(m[0].contains("but it is not set"));
        assert!(
            messages(
                &s,
                WorkloadKind::Job,
                &job(json!({})),
                Some(RestartPolicy::OnFailure)
            )
            .is_empty()
        );
    }

    #[test]
    fn deadline_and_ttl_bounds() {
        let s = settings(json!({"jobs": {
            "activeDeadlineSeconds": {"required": true, "max": 3600},
            "ttlSecondsAfterFinished": {"max": 86400}
        }}));
        let ok = job(json!({"activeDeadlineSeconds": 600, "ttlSecondsAfterFinished": 100}));
        assert!(messages(&s, WorkloadKind::Job, &ok, NEVER).is_empty());
        let m = messages(&s, WorkloadKind::Job, &job(json!({})), NEVER);
        assert_eq!(
            m,
            [
                "job-active-deadline: Job must set activeDeadlineSeconds (at most 3600) (at /spec/activeDeadlineSeconds)"
            ]
        );
        let m = messages(
            &s,
            WorkloadKind::Job,
            &job(json!({"activeDeadlineSeconds": 7200, "ttlSecondsAfterFinished": 90000})),
            NEVER,
        );
        assert_eq!(m.len(), 2);
        assert!(m[0].contains("activeDeadlineSeconds 7200 exceeds the maximum 3600"));
        assert!(
            m[1].starts_with(
                "job-ttl: Job ttlSecondsAfterFinished 90000 exceeds the maximum 86400"
            )
        );
        let m = messages(
            &s,
            WorkloadKind::Job,
            &job(json!({"activeDeadlineSeconds": 1.5})),
            NEVER,
        );
        assert_eq!(
            m,
            ["malformed: malformed request: /spec/activeDeadlineSeconds must be an integer"]
        );
    }

    #[test]
    fn non_job_kinds_are_ignored_and_malformed_specs_fail_closed() {
        let s = settings(json!({"jobs": {"maxBackoffLimit": 0}}));
        assert!(messages(&s, WorkloadKind::Deployment, &job(json!({})), NEVER).is_empty());
        assert_eq!(
            messages(&s, WorkloadKind::Job, &json!({"spec": "x"}), NEVER),
            ["malformed: malformed request: /spec must be an object"]
        );
        assert_eq!(
            messages(
                &s,
                WorkloadKind::CronJob,
                &json!({"spec": {"jobTemplate": 1}}),
                NEVER
            ),
            ["malformed: malformed request: /spec/jobTemplate must be an object"]
        );
        let pfp =
            json!({"spec": {"backoffLimit": 0, "podFailurePolicy": "x", "completionMode": 1}});
        assert_eq!(
            messages(&s, WorkloadKind::Job, &pfp, NEVER),
            ["malformed: malformed request: /spec/podFailurePolicy must be an object"]
        );
        let per_index = settings(json!({"jobs": {"requireBackoffLimitPerIndex": true}}));
        assert_eq!(
            messages(
                &per_index,
                WorkloadKind::Job,
                &job(json!({"completionMode": 1})),
                NEVER
            ),
            ["malformed: malformed request: /spec/completionMode must be a string"]
        );
        let off = settings(json!({"actions": {"jobPodFailurePolicy": "off"}}));
        assert!(
            messages(&off, WorkloadKind::Job, &pfp, NEVER).is_empty(),
            "a rule set to off reads nothing"
        );
    }
}
