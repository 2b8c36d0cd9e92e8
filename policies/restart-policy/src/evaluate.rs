//! Which parts of a workload the rules judge: the pod-level rules and the Job rules, then the
//! container rules.

use crate::settings::Settings;
use crate::{containers, jobs, pod};
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
    let object = request.object();
    let Some(spec) = PodSpec::find(kind, object) else {
        return report;
    };
    // `pods/ephemeralcontainers` can only add ephemeral containers: the pod-level fields are
    // immutable there, so only the container rules apply.
    if request.sub_resource() != "ephemeralcontainers" {
        let pod_policy = pod::check(settings, &spec, object, &mut report);
        jobs::check(settings, kind, object, pod_policy, &mut report);
    }
    containers::check(settings, &spec, &mut report);
    report
}
