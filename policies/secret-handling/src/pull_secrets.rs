//! imagePullSecrets for images from private registries.

use crate::pod_ctx::{PodCtx, describe};
use crate::rules::RuleId;
use crate::settings::Settings;
use policy_common::Report;
use policy_common::glob::host_match;
use policy_common::image::ImageRef;
use serde_json::Value;

/// Images from private registries need the pod to carry an imagePullSecret.
pub fn check(ctx: &PodCtx<'_>, settings: &Settings, report: &mut Report) {
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
                RuleId::ImagePullSecrets.as_str(),
                rule.action,
                format!(
                    "{}: image from private registry '{}' but the pod has no imagePullSecrets",
                    describe(&c),
                    policy_common::redact::value(registry)
                ),
            );
        }
    }
}
