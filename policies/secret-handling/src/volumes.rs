//! File modes of secret volumes and how containers mount them.

use crate::pod_ctx::{PodCtx, describe};
use crate::rules::RuleId;
use crate::settings::{API_DEFAULT_MODE, Volumes};
use policy_common::Report;
use serde_json::Value;

/// Names of the volumes that carry Secret data (secret volumes, projected with a secret source).
pub fn secret_volume_names<'a>(ctx: &PodCtx<'a>) -> Vec<&'a str> {
    ctx.spec
        .volumes()
        .filter(|(_, v)| v.get("secret").is_some_and(Value::is_object) || projected_secret(v))
        .filter_map(|(_, v)| v.get("name").and_then(Value::as_str))
        .collect()
}

pub fn projected_secret(volume: &Value) -> bool {
    volume
        .pointer("/projected/sources")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|s| s.get("secret").is_some_and(Value::is_object))
        })
}

fn mode(v: Option<&Value>) -> Option<u32> {
    v.and_then(Value::as_u64).map(|m| m as u32)
}

pub fn check(ctx: &PodCtx<'_>, settings: &Volumes, report: &mut Report) {
    if !ctx.pod_level() {
        return check_mounts(ctx, settings, report);
    }
    let max = settings.max_mode.get();
    let mut too_open = |report: &mut Report, what: String, m: u32, unset: bool| {
        if m & !max != 0 {
            let shown = if unset {
                format!("is unset (API default {m:04o})")
            } else {
                format!("{m:04o}")
            };
            report.add(
                RuleId::SecretVolumeMode.as_str(),
                settings.mode,
                format!("{what} {shown} allows more than {max:04o}"),
            );
        }
    };
    for (i, vol) in ctx.spec.volumes() {
        let vname =
            policy_common::redact::value(vol.get("name").and_then(Value::as_str).unwrap_or(""));
        let place = format!("volume '{vname}' (volumes[{i}])");
        let items_of =
            |source: &Value,
             prefix: String,
             report: &mut Report,
             too_open: &mut dyn FnMut(&mut Report, String, u32, bool)| {
                for (k, item) in source
                    .get("items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if let Some(m) = mode(item.get("mode")) {
                        too_open(report, format!("{prefix}.items[{k}].mode"), m, false);
                    }
                }
            };
        if let Some(secret) = vol.get("secret").filter(|s| s.is_object()) {
            let dm = mode(secret.get("defaultMode"));
            too_open(
                report,
                format!("{place}: secret.defaultMode"),
                dm.unwrap_or(API_DEFAULT_MODE),
                dm.is_none(),
            );
            items_of(secret, format!("{place}: secret"), report, &mut too_open);
        }
        if projected_secret(vol) {
            let dm = mode(vol.pointer("/projected/defaultMode"));
            too_open(
                report,
                format!("{place}: projected.defaultMode"),
                dm.unwrap_or(API_DEFAULT_MODE),
                dm.is_none(),
            );
            for (j, src) in vol
                .pointer("/projected/sources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(secret) = src.get("secret").filter(|s| s.is_object()) {
                    items_of(
                        secret,
                        format!("{place}: projected.sources[{j}].secret"),
                        report,
                        &mut too_open,
                    );
                }
            }
        }
    }
    check_mounts(ctx, settings, report);
}

fn check_mounts(ctx: &PodCtx<'_>, settings: &Volumes, report: &mut Report) {
    if settings.read_only.is_off() && settings.sub_path.is_off() {
        return;
    }
    let secret_volumes = secret_volume_names(ctx);
    for c in ctx.containers() {
        for (k, mount) in c.array("volumeMounts") {
            let Some(vname) = mount.get("name").and_then(Value::as_str) else {
                continue;
            };
            if !secret_volumes.contains(&vname) {
                continue;
            }
            let place = format!(
                "{}: volumeMounts[{k}] of secret volume '{}'",
                describe(&c),
                policy_common::redact::value(vname)
            );
            if mount.get("readOnly").and_then(Value::as_bool) != Some(true) {
                report.add(
                    RuleId::SecretMountReadonly.as_str(),
                    settings.read_only,
                    format!("{place} is not readOnly: true"),
                );
            }
            let sub = ["subPath", "subPathExpr"].into_iter().any(|f| {
                mount
                    .get(f)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty())
            });
            if sub {
                report.add(
                    RuleId::SecretSubpath.as_str(),
                    settings.sub_path,
                    format!(
                        "{place} uses subPath; subPath mounts never receive rotated Secret values"
                    ),
                );
            }
        }
    }
}
