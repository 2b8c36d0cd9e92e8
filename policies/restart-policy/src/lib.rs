//! `restart-policy`: pod restartPolicy by workload kind, Job retry hygiene and native sidecars.

pub mod containers;
pub mod jobs;
pub mod pod;
pub mod settings;
pub mod values;

use kubewarden_policy_sdk::protocol_version_guest;
use policy_common::report::reject;
use policy_common::request::decode;
use policy_common::{PodSpec, Report, Request, WorkloadKind};
use settings::Settings;
use wapc_guest::{CallResult, register_function};

// Exported unmangled only in the wasm module, so the four policies link into one native
// benchmark binary.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function(
        "validate_settings",
        policy_common::settings::validate_settings::<Settings>,
    );
    register_function("protocol_version", protocol_version_guest);
}

pub fn validate(payload: &[u8]) -> CallResult {
    let validation = match decode::<Settings>(payload) {
        Ok(v) => v,
        Err(e) => return reject(e),
    };
    evaluate(&validation.settings, &Request::new(&validation.request)).respond()
}

/// The whole decision for one request (native tests call this directly).
pub fn evaluate(settings: &Settings, request: &Request<'_>) -> Report {
    let mut report = Report::new();
    if !request.is_create_or_update() || settings.exemptions.exempts(request).is_some() {
        return report;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
    use serde_json::{Value, json};

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
        evaluate(s, &Request::new(raw)).into_response()
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
        assert!(audit.contains_key(jobs::RULE_POD_FAILURE_POLICY));
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
