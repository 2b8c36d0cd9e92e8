//! Workloads: the optional mutation, then every pod rule on the object as it will be stored.

use crate::pod_ctx::PodCtx;
use crate::settings::Settings;
use crate::{mutate, plaintext, pull_secrets, references, shapes, tokens, volumes};
use policy_common::{Operation, PodSpec, Report, Request, WorkloadKind};
use serde_json::Value;

pub fn check(
    req: &Request<'_>,
    kind: WorkloadKind,
    object: &Value,
    settings: &Settings,
    report: &mut Report,
) {
    let only_ephemeral = kind == WorkloadKind::Pod && req.sub_resource() == "ephemeralcontainers";
    let spec = match PodSpec::locate(kind, object) {
        Ok(Some(spec)) => spec,
        Ok(None) => return,
        Err(problem) => return report.malformed(&problem, shapes::any_pod_rule(settings)),
    };
    // A Pod's spec is immutable after creation: it can only be completed on CREATE.
    let mutable =
        !only_ephemeral && (kind != WorkloadKind::Pod || req.operation() == Operation::Create);
    let mutated = (settings.mutation.enabled && mutable)
        .then(|| mutate::workload(object, &spec, settings.volumes.max_mode.get()))
        .flatten();
    // The rules judge the object as it will be stored, i.e. after the mutation.
    let judged = mutated
        .as_ref()
        .and_then(|m| PodSpec::find(kind, m))
        .unwrap_or(spec);
    let ctx = PodCtx {
        spec: judged,
        operation: req.operation(),
        only_ephemeral,
    };
    shapes::check_pod(&ctx, settings, report);
    check_pod(&ctx, settings, report);
    if let Some(m) = mutated {
        report.set_mutated(m);
    }
}

/// Every pod rule, in a fixed order (the order of the findings in a response).
fn check_pod(ctx: &PodCtx<'_>, settings: &Settings, report: &mut Report) {
    references::check(ctx, settings, report);
    plaintext::check_pod(ctx, &settings.plaintext, report);
    volumes::check(ctx, &settings.volumes, report);
    tokens::check_pod(ctx, &settings.service_account_token, report);
    pull_secrets::check(ctx, settings, report);
}
