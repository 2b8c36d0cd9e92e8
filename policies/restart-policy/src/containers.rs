//! Container-level restart settings: `container-restart-policy` (native sidecars and, since 1.34,
//! restartPolicy on other containers) and `container-restart-rules` (`restartPolicyRules`).

use crate::rules::RuleId;
use crate::settings::Settings;
use crate::values::{Field, RestartPolicy};
use policy_common::image::{ImagePattern, ImageRef};
use policy_common::redact;
use policy_common::shape::Malformed;
use policy_common::{Action, Container, ContainerKind, PodSpec, Report};
use serde_json::Value;

pub fn check(settings: &Settings, spec: &PodSpec<'_>, report: &mut Report) {
    for container in spec.containers() {
        check_policy(settings, &container, report);
        check_rules(settings, &container, report);
    }
}

fn check_policy(settings: &Settings, c: &Container<'_>, report: &mut Report) {
    let cfg = &settings.container_restart_policy;
    let action = settings.actions.container_restart_policy;
    let pointer = format!("{}/restartPolicy", c.pointer());
    let who = describe(c);
    let field = Field::read(c.get("restartPolicy"));
    let value = match field {
        Field::Unset => return,
        Field::Valid(v) => v,
        Field::NotAString => {
            report.malformed(&Malformed::new(pointer, "a string"), action);
            return;
        }
        Field::Unknown(_) => {
            let action = if action.is_on() { Action::Deny } else { action };
            let message = field.invalid_message(&who, &pointer).unwrap_or_default();
            report.add(RuleId::ContainerRestartPolicy.as_str(), action, message);
            return;
        }
    };
    let placement = match c.kind {
        ContainerKind::InitContainer => None,
        ContainerKind::Container if !cfg.allow_on_containers => {
            Some("containerRestartPolicy.allowOnContainers")
        }
        ContainerKind::EphemeralContainer if !cfg.allow_on_ephemeral_containers => {
            Some("containerRestartPolicy.allowOnEphemeralContainers")
        }
        _ => None,
    };
    if let Some(setting) = placement {
        report.add(
            RuleId::ContainerRestartPolicy.as_str(),
            action,
            format!(
                "{who} sets restartPolicy '{}' at {pointer}; container-level restartPolicy is only allowed on init containers ({setting} is false)",
                value.as_str()
            ),
        );
        return;
    }
    let allowed = settings.container_allowed_values();
    if !allowed.contains(value) {
        report.add(
            RuleId::ContainerRestartPolicy.as_str(),
            action,
            format!(
                "{who} restartPolicy '{}' at {pointer} is not allowed (allowed container-level values: {})",
                value.as_str(),
                allowed.describe()
            ),
        );
        return;
    }
    if c.kind == ContainerKind::InitContainer
        && value == RestartPolicy::Always
        && let Some(problem) = sidecar_problem(settings, c)
    {
        let problem = match problem {
            Ok(problem) => problem,
            Err(malformed) => return report.malformed(&malformed, action),
        };
        report.add(
            RuleId::ContainerRestartPolicy.as_str(),
            action,
            format!("{who} is a native sidecar (restartPolicy Always at {pointer}): {problem}"),
        );
    }
}

/// `init container 'proxy'`, the name redacted (it is request input).
pub fn describe(c: &Container<'_>) -> String {
    format!("{} '{}'", c.kind.label(), redact::value(c.name()))
}

/// Why a native sidecar is refused; `Err` when its image, which `sidecarImages` judges, is not
/// a string.
fn sidecar_problem(settings: &Settings, c: &Container<'_>) -> Option<Result<String, Malformed>> {
    let cfg = &settings.container_restart_policy;
    if !cfg.sidecars {
        return Some(Ok(
            "native sidecars are not allowed (containerRestartPolicy.sidecars is false)".into(),
        ));
    }
    if cfg.sidecar_images.is_empty() {
        return None;
    }
    let image = match c.get("image") {
        Some(Value::String(image)) => image,
        None | Some(Value::Null) => {
            return Some(Ok(
                "it has no image, and containerRestartPolicy.sidecarImages is set".into(),
            ));
        }
        Some(_) => {
            return Some(Err(Malformed::new(
                format!("{}/image", c.pointer()),
                "a string",
            )));
        }
    };
    Some(Ok(match ImageRef::parse(image) {
        Err(e) => format!(
            "image '{}': {}",
            redact::value(image),
            redact::value(&e.to_string())
        ),
        Ok(parsed)
            if cfg
                .sidecar_images
                .iter()
                .any(|p| ImagePattern::parse(p).is_ok_and(|p| p.matches(&parsed))) =>
        {
            return None;
        }
        Ok(parsed) => format!(
            "image '{}' is not in containerRestartPolicy.sidecarImages",
            redact::value(&parsed.to_string())
        ),
    }))
}

fn check_rules(settings: &Settings, c: &Container<'_>, report: &mut Report) {
    if settings.container_restart_policy.allow_restart_policy_rules {
        return;
    }
    let action = settings.actions.container_restart_rules;
    let present = match c.get("restartPolicyRules") {
        None | Some(Value::Null) => false,
        Some(Value::Array(rules)) => !rules.is_empty(),
        Some(_) => {
            let pointer = format!("{}/restartPolicyRules", c.pointer());
            return report.malformed(&Malformed::new(pointer, "a list"), action);
        }
    };
    if present {
        report.add(
            RuleId::ContainerRestartRules.as_str(),
            action,
            format!(
                "{} sets restartPolicyRules at {}/restartPolicyRules, which are not allowed (containerRestartPolicy.allowRestartPolicyRules is false)",
                describe(c),
                c.pointer()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_common::WorkloadKind;
    use serde_json::json;

    fn messages(settings: Value, spec: Value) -> Vec<String> {
        let s: Settings = serde_json::from_value(settings).unwrap();
        let object = json!({"spec": spec});
        let spec = PodSpec::find(WorkloadKind::Pod, &object).unwrap();
        let mut report = Report::new();
        check(&s, &spec, &mut report);
        report
            .violations()
            .iter()
            .map(|v| format!("{}: {}", v.rule, v.message))
            .collect()
    }

    fn sidecar(image: &str) -> Value {
        json!({
            "containers": [{"name": "app", "image": "nginx"}],
            "initContainers": [{"name": "proxy", "image": image, "restartPolicy": "Always"}]
        })
    }

    #[test]
    fn sidecars_allowed_by_default() {
        assert!(messages(json!({}), sidecar("istio/proxyv2:1.22.0")).is_empty());
        let plain_init = json!({"initContainers": [{"name": "setup", "image": "busybox"}]});
        assert!(
            messages(
                json!({"containerRestartPolicy": {"sidecars": false}}),
                plain_init
            )
            .is_empty()
        );
    }

    #[test]
    fn sidecars_can_be_forbidden() {
        let m = messages(
            json!({"containerRestartPolicy": {"sidecars": false}}),
            sidecar("envoy"),
        );
        assert_eq!(
            m,
            [
                "container-restart-policy: init container 'proxy' is a native sidecar (restartPolicy Always at /spec/initContainers/0/restartPolicy): native sidecars are not allowed (containerRestartPolicy.sidecars is false)"
            ]
        );
    }

    #[test]
    fn sidecar_image_allow_list() {
        let s = json!({"containerRestartPolicy": {"sidecarImages": ["istio/proxyv2", "ghcr.io/org/*"]}});
        assert!(messages(s.clone(), sidecar("docker.io/istio/proxyv2:1.22.0")).is_empty());
        assert!(messages(s.clone(), sidecar("ghcr.io/org/agent@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")).is_empty());
        let m = messages(s.clone(), sidecar("envoyproxy/envoy:v1.30"));
        assert!(m[0].ends_with("image 'docker.io/envoyproxy/envoy:v1.30' is not in containerRestartPolicy.sidecarImages"), "{m:?}");
        let m = messages(s.clone(), sidecar("Bad Image"));
        assert!(
            m[0].contains("image 'Bad Image': invalid image reference"),
            "{m:?}"
        );
        let m = messages(
            s,
            json!({"initContainers": [{"name": "x", "restartPolicy": "Always"}]}),
        );
        assert!(m[0].contains("it has no image"), "{m:?}");
    }

    #[test]
    fn values_and_placement() {
        let m = messages(
            json!({}),
            json!({"initContainers": [{"name": "i", "restartPolicy": "Never"}]}),
        );
        assert_eq!(
            m,
            [
                "container-restart-policy: init container 'i' restartPolicy 'Never' at /spec/initContainers/0/restartPolicy is not allowed (allowed container-level values: Always)"
            ]
        );
        let m = messages(
            json!({}),
            json!({"initContainers": [{"name": "i", "restartPolicy": "always"}]}),
        );
        assert!(m[0].contains("init container 'i' restartPolicy 'always' at /spec/initContainers/0/restartPolicy is not a valid value"), "{m:?}");

        let regular = json!({"containers": [{"name": "app", "restartPolicy": "Always"}]});
        let m = messages(json!({}), regular.clone());
        assert!(m[0].contains("container 'app' sets restartPolicy 'Always' at /spec/containers/0/restartPolicy; container-level restartPolicy is only allowed on init containers (containerRestartPolicy.allowOnContainers is false)"), "{m:?}");
        assert!(
            messages(
                json!({"containerRestartPolicy": {"allowOnContainers": true}}),
                regular
            )
            .is_empty()
        );
        let never = json!({"containers": [{"name": "app", "restartPolicy": "Never"}]});
        let m = messages(
            json!({"containerRestartPolicy": {"allowOnContainers": true}}),
            never.clone(),
        );
        assert!(
            m[0].contains("is not allowed (allowed container-level values: Always)"),
            "{m:?}"
        );
        assert!(messages(json!({"containerRestartPolicy": {"allowOnContainers": true, "allowedValues": ["Always", "Never"]}}), never).is_empty());

        let eph = json!({"ephemeralContainers": [{"name": "debug", "restartPolicy": "Always"}]});
        let m = messages(json!({}), eph.clone());
        assert!(
            m[0].contains("ephemeral container 'debug' sets restartPolicy"),
            "{m:?}"
        );
        assert!(
            m[0].contains("allowOnEphemeralContainers is false"),
            "{m:?}"
        );
        assert!(
            messages(
                json!({"containerRestartPolicy": {"allowOnEphemeralContainers": true}}),
                eph
            )
            .is_empty()
        );
    }

    #[test]
    fn restart_rules() {
        let spec = json!({"containers": [{"name": "trainer", "restartPolicy": "Never",
            "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]}]});
        let s = json!({"containerRestartPolicy": {"allowOnContainers": true, "allowedValues": ["Never"]}});
        let m = messages(s, spec.clone());
        assert_eq!(
            m,
            [
                "container-restart-rules: container 'trainer' sets restartPolicyRules at /spec/containers/0/restartPolicyRules, which are not allowed (containerRestartPolicy.allowRestartPolicyRules is false)"
            ]
        );
        let s = json!({"containerRestartPolicy": {"allowOnContainers": true, "allowedValues": ["Never"], "allowRestartPolicyRules": true}});
        assert!(messages(s, spec).is_empty());
        assert!(
            messages(
                json!({}),
                json!({"containers": [{"name": "a", "restartPolicyRules": []}]})
            )
            .is_empty()
        );
    }
}
