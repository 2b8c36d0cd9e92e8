//! Workloads: the PodSpec view shared by the pod rules, and rules 1, 2 and 7 (which Secrets a
//! pod uses, how, and whether private images come with pull secrets).

use crate::settings::Settings;
use policy_common::glob::{glob_match, host_match};
use policy_common::image::ImageRef;
use policy_common::{Container, ContainerKind, Operation, PodSpec, Report};
use serde_json::Value;

/// The PodSpec under review.
pub struct PodCtx<'a> {
    pub spec: PodSpec<'a>,
    pub operation: Operation,
    /// `pods/ephemeralcontainers`: only the ephemeral containers are new; the rest of the pod
    /// was admitted before and cannot change.
    pub only_ephemeral: bool,
}

impl<'a> PodCtx<'a> {
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        self.spec
            .containers()
            .filter(|c| !self.only_ephemeral || c.kind == ContainerKind::EphemeralContainer)
    }

    /// Pod-level fields (volumes, imagePullSecrets, automount) are judged.
    pub fn pod_level(&self) -> bool {
        !self.only_ephemeral
    }
}

/// Every pod rule, in a fixed order.
pub fn check(ctx: &PodCtx<'_>, settings: &Settings, report: &mut Report) {
    check_references(ctx, settings, report);
    crate::plaintext::check_pod(ctx, &settings.plaintext, report);
    crate::volumes::check(ctx, &settings.volumes, report);
    crate::tokens::check_pod(ctx, &settings.service_account_token, report);
    check_pull_secrets(ctx, settings, report);
}

fn allowed(list: &[String], name: &str) -> bool {
    list.iter().any(|p| glob_match(p, name))
}

fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// Rules 1 and 2.
fn check_references(ctx: &PodCtx<'_>, settings: &Settings, report: &mut Report) {
    let env = &settings.env_secrets;
    let refs = &settings.references;
    let reference = |report: &mut Report, place: String, secret: &str| {
        if !refs.allowed_secrets.is_empty() && !allowed(&refs.allowed_secrets, secret) {
            report.add(
                "secret-reference",
                refs.action,
                format!("{place} references Secret '{secret}', which is not in references.allowedSecrets"),
            );
        }
    };
    for c in ctx.containers() {
        for (i, e) in c.array("env") {
            let Some(secret) = str_at(e, "/valueFrom/secretKeyRef/name") else {
                continue;
            };
            let var = e.get("name").and_then(Value::as_str).unwrap_or("");
            let place = format!("{}: env '{var}' (env[{i}])", c.describe());
            if !allowed(&env.allowed_secrets, secret) {
                report.add(
                    "secret-env",
                    env.secret_key_ref,
                    format!("{place} reads Secret '{secret}' through secretKeyRef; mount it as a volume instead"),
                );
            }
            reference(report, place, secret);
        }
        for (i, e) in c.array("envFrom") {
            let Some(secret) = str_at(e, "/secretRef/name") else {
                continue;
            };
            let place = format!("{}: envFrom[{i}]", c.describe());
            if !allowed(&env.allowed_secrets, secret) {
                report.add(
                    "secret-env-from",
                    env.env_from,
                    format!("{place} loads Secret '{secret}' as environment; mount it as a volume instead"),
                );
            }
            reference(report, place, secret);
        }
    }
    if !ctx.pod_level() {
        return;
    }
    for (i, vol) in ctx.spec.volumes() {
        let vname = vol.get("name").and_then(Value::as_str).unwrap_or("");
        let mut secrets: Vec<&str> = Vec::new();
        if vol.get("secret").is_some_and(Value::is_object) {
            secrets.push(str_at(vol, "/secret/secretName").unwrap_or(""));
        }
        if let Some(sources) = vol.pointer("/projected/sources").and_then(Value::as_array) {
            for s in sources
                .iter()
                .filter(|s| s.get("secret").is_some_and(Value::is_object))
            {
                secrets.push(str_at(s, "/secret/name").unwrap_or(""));
            }
        }
        for secret in secrets {
            report.add(
                "secret-volume",
                refs.secret_volumes,
                format!("volume '{vname}' (volumes[{i}]) mounts Secret '{secret}'; Secret volumes are not allowed"),
            );
            reference(report, format!("volume '{vname}' (volumes[{i}])"), secret);
        }
    }
    for (i, s) in ctx
        .spec
        .get("imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(secret) = s.get("name").and_then(Value::as_str) {
            reference(report, format!("imagePullSecrets[{i}]"), secret);
        }
    }
}

/// Rule 7.
fn check_pull_secrets(ctx: &PodCtx<'_>, settings: &Settings, report: &mut Report) {
    let rule = &settings.image_pull_secrets;
    if rule.action.is_off() {
        return;
    }
    let has_pull_secret = ctx
        .spec
        .get("imagePullSecrets")
        .and_then(Value::as_array)
        .is_some_and(|l| {
            l.iter().any(|s| {
                s.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| !n.is_empty())
            })
        });
    if has_pull_secret {
        return;
    }
    for c in ctx.containers() {
        let Some(image) = c.image().and_then(|i| ImageRef::parse(i).ok()) else {
            continue;
        };
        let registry = image.registry();
        if !rule
            .public_registries
            .iter()
            .any(|p| host_match(p, registry))
        {
            report.add(
                "image-pull-secrets",
                rule.action,
                format!("{}: image from private registry '{registry}' but the pod has no imagePullSecrets", c.describe()),
            );
        }
    }
}
