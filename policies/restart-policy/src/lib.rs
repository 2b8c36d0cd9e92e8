//! `restart-policy`: pod restartPolicy by workload kind, Job retry hygiene and native sidecars.

pub mod containers;
mod evaluate;
pub mod jobs;
pub mod pod;
pub mod rules;
pub mod settings;
pub mod values;

#[cfg(test)]
mod properties;

use policy_common::{Exemptions, Policy, Report, Request};
use std::borrow::Cow;

/// The policy: asks the host nothing.
pub struct RestartPolicyPolicy;

impl Policy for RestartPolicyPolicy {
    type Settings = settings::Settings;
    type Host = ();
    const HOST: &'static () = &();

    fn exemptions(settings: &settings::Settings) -> Cow<'_, Exemptions> {
        Cow::Borrowed(&settings.exemptions)
    }

    fn evaluate(request: &Request<'_>, settings: &settings::Settings, _: &()) -> Report {
        evaluate::evaluate(request, settings)
    }
}

policy_common::export_policy!(RestartPolicyPolicy);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleId;
    use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
    use serde_json::{Value, json};
    use settings::Settings;

    fn request(
        operation: &str,
        group: &str,
        kind: &str,
        object: Value,
    ) -> KubernetesAdmissionRequest {
        serde_json::from_value(json!({
            "uid": "1", "operation": operation,
            "kind": {"group": group, "version": "v1", "kind": kind},
            "namespace": "default",
            "userInfo": {"username": "alice"},
            "object": object
        }))
        .unwrap()
    }

    fn settings(v: Value) -> Settings {
        serde_json::from_value(v).unwrap()
    }

    fn run(
        s: &Settings,
        raw: &KubernetesAdmissionRequest,
    ) -> kubewarden_policy_sdk::response::ValidationResponse {
        policy_common::policy::judge::<RestartPolicyPolicy>(&Request::new(raw), s, &())
            .into_response()
    }

    fn job(restart: &str) -> Value {
        json!({"metadata": {"name": "train"}, "spec": {"backoffLimit": 2, "podFailurePolicy": {"rules": []},
            "template": {"spec": {"restartPolicy": restart, "containers": [{"name": "t", "image": "trainer"}]}}}})
    }

    #[test]
    fn job_with_pod_failure_policy() {
        let s = Settings::default();
        assert!(run(&s, &request("CREATE", "batch", "Job", job("Never"))).accepted);
        let r = run(&s, &request("CREATE", "batch", "Job", job("OnFailure")));
        assert!(!r.accepted);
        assert!(
            r.message
                .unwrap()
                .contains("requires pod restartPolicy Never")
        );
        let audit = r.audit_annotations.unwrap();
        assert!(audit.contains_key(RuleId::JobPodFailurePolicy.as_str()));
    }

    #[test]
    fn delete_unknown_kinds_scale_and_exemptions_are_accepted() {
        let s = Settings::default();
        let bad = job("Always");
        assert!(!run(&s, &request("UPDATE", "batch", "Job", bad.clone())).accepted);
        let mut delete = request("DELETE", "batch", "Job", Value::Null);
        delete.old_object = bad.clone();
        assert!(run(&s, &delete).accepted);
        assert!(run(&s, &request("CREATE", "example.com", "Job", bad.clone())).accepted);
        let mut scale = request(
            "UPDATE",
            "autoscaling",
            "Scale",
            json!({"spec": {"replicas": 3}}),
        );
        scale.sub_resource = "scale".into();
        assert!(run(&s, &scale).accepted);
        let exempt = settings(json!({"exemptions": {"names": ["train"]}}));
        assert!(run(&exempt, &request("CREATE", "batch", "Job", bad)).accepted);
    }

    #[test]
    fn ephemeral_subresource_checks_only_containers() {
        let s = settings(json!({"allowedByKind": {"Pod": ["Never"]}}));
        let pod = json!({"spec": {"restartPolicy": "Always", "containers": [{"name": "app"}],
            "ephemeralContainers": [{"name": "debug", "image": "busybox"}]}});
        assert!(!run(&s, &request("UPDATE", "", "Pod", pod.clone())).accepted);
        let mut sub = request("UPDATE", "", "Pod", pod.clone());
        sub.sub_resource = "ephemeralcontainers".into();
        assert!(run(&s, &sub).accepted);
        let mut bad = pod;
        bad["spec"]["ephemeralContainers"][0]["restartPolicy"] = json!("Always");
        sub.object = bad;
        let r = run(&s, &sub);
        assert!(r.message.unwrap().contains("ephemeral container 'debug'"));
    }

    #[test]
    fn all_violations_in_one_response_and_warnings() {
        let s = settings(
            json!({"actions": {"containerRestartPolicy": "warn"}, "containerRestartPolicy": {"sidecars": false}}),
        );
        let pod = json!({"spec": {"restartPolicy": "Always",
            "initContainers": [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]}});
        let r = run(&s, &request("CREATE", "", "Pod", pod));
        assert!(r.accepted);
        assert!(r.warnings.unwrap()[0].contains("native sidecars are not allowed"));
    }

    #[test]
    fn malformed_objects_never_panic() {
        let s = settings(
            json!({"jobs": {"maxBackoffLimit": 1, "activeDeadlineSeconds": {"required": true}},
            "containerRestartPolicy": {"sidecarImages": ["ghcr.io/*"]}}),
        );
        for object in [
            json!(null),
            json!(1),
            json!({"spec": []}),
            json!({"spec": {"template": {"spec": {"containers": 5}}}}),
            json!({"spec": {"template": {"spec": {"initContainers": [1, {"restartPolicy": "Always", "image": 3}]}}}}),
            json!({"spec": {"backoffLimit": {}, "template": {"spec": {"restartPolicy": []}}}}),
        ] {
            for (group, kind) in [
                ("batch", "Job"),
                ("batch", "CronJob"),
                ("", "Pod"),
                ("apps", "Deployment"),
            ] {
                let _ = run(&s, &request("CREATE", group, kind, object.clone()));
            }
        }
    }
}
