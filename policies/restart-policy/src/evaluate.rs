//! Which parts of a workload the rules judge: the pod-level rules and the Job rules, then the
//! container rules.

use crate::settings::Settings;
use crate::{containers, jobs, pod};
use policy_common::shape::Malformed;
use policy_common::{PodSpec, Report, Request, WorkloadKind};

/// Every rule that applies to a judged request.
pub fn evaluate(request: &Request<'_>, settings: &Settings) -> Report {
    let mut report = Report::new();
    // Unknown kinds and objects without a pod template (a `scale` subresource) are accepted.
    let Some(kind) = WorkloadKind::from_group_kind(request.group(), request.kind())
        .filter(|k| *k != WorkloadKind::PodTemplate)
    else {
        return report;
    };
    // `pods/ephemeralcontainers` can only add ephemeral containers: the pod-level fields are
    // immutable there, so only the container rules apply.
    let containers_only = request.sub_resource() == "ephemeralcontainers";
    let object = request.object();
    let spec = match PodSpec::locate(kind, object) {
        Ok(Some(spec)) => spec,
        Ok(None) => return report,
        Err(problem) => {
            let action = reader_action(settings, &problem, kind, containers_only);
            report.malformed(&problem, action);
            return report;
        }
    };
    if !containers_only {
        let pod_policy = pod::check(settings, &spec, object, &mut report);
        jobs::check(settings, kind, object, pod_policy, &mut report);
    }
    containers::check(settings, &spec, &mut report);
    report
}

/// The strictest action of the rules that read the malformed field: a container list or a
/// container is read by the container rules only; a step on the way to the PodSpec by every
/// rule that reads the PodSpec.
fn reader_action(
    settings: &Settings,
    problem: &Malformed,
    kind: WorkloadKind,
    containers_only: bool,
) -> policy_common::Action {
    let a = &settings.actions;
    let container_rules = a
        .container_restart_policy
        .strictest(a.container_restart_rules);
    let in_spec = problem
        .path
        .strip_prefix(kind.pod_spec_pointer())
        .is_some_and(|rest| rest.starts_with('/'));
    if in_spec || containers_only {
        return container_rules;
    }
    let mut action = container_rules
        .strictest(a.pod_restart_policy)
        .strictest(a.missing_restart_policy);
    if kind.runs_job_pods() {
        action = action.strictest(jobs::reader_action(settings));
    }
    action
}
