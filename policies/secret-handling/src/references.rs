//! Secrets consumed as environment variables, Secret volumes, and the Secrets a workload may
//! reference at all.

use crate::pod_ctx::{PodCtx, describe};
use crate::rules::RuleId;
use crate::settings::Settings;
use policy_common::Report;
use policy_common::glob::glob_match;
use policy_common::json::str_at;
use policy_common::redact::value as redacted;
use serde_json::Value;

fn allowed(list: &[String], name: &str) -> bool {
    list.iter().any(|p| glob_match(p, name))
}

/// Which Secrets the containers and volumes use, and how.
pub fn check(ctx: &PodCtx<'_>, settings: &Settings, report: &mut Report) {
    let env = &settings.env_secrets;
    let refs = &settings.references;
    let reference = |report: &mut Report, place: String, secret: &str| {
        if !refs.allowed_secrets.is_empty() && !allowed(&refs.allowed_secrets, secret) {
            report.add(
                RuleId::SecretReference.as_str(),
                refs.action,
                format!(
                    "{place} references Secret '{}', which is not in references.allowedSecrets",
                    redacted(secret)
                ),
            );
        }
    };
    for c in ctx.containers() {
        for (i, e) in c.array("env") {
            let Some(secret) = str_at(e, "/valueFrom/secretKeyRef/name") else {
                continue;
            };
            let var = e.get("name").and_then(Value::as_str).unwrap_or("");
            let place = format!("{}: env '{}' (env[{i}])", describe(&c), redacted(var));
            if !allowed(&env.allowed_secrets, secret) {
                report.add(
                    RuleId::SecretEnv.as_str(),
                    env.secret_key_ref,
                    format!("{place} reads Secret '{}' through secretKeyRef; mount it as a volume instead", redacted(secret)),
                );
            }
            reference(report, place, secret);
        }
        for (i, e) in c.array("envFrom") {
            let Some(secret) = str_at(e, "/secretRef/name") else {
                continue;
            };
            let place = format!("{}: envFrom[{i}]", describe(&c));
            if !allowed(&env.allowed_secrets, secret) {
                report.add(
                    RuleId::SecretEnvFrom.as_str(),
                    env.env_from,
                    format!(
                        "{place} loads Secret '{}' as environment; mount it as a volume instead",
                        redacted(secret)
                    ),
                );
            }
            reference(report, place, secret);
        }
    }
    if !ctx.pod_level() {
        return;
    }
    for (i, vol) in ctx.spec.volumes() {
        let vname = redacted(vol.get("name").and_then(Value::as_str).unwrap_or(""));
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
                RuleId::SecretVolume.as_str(),
                refs.secret_volumes,
                format!("volume '{vname}' (volumes[{i}]) mounts Secret '{}'; Secret volumes are not allowed", redacted(secret)),
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
