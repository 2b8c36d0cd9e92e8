//! The identity workloads run as, and interactive access to pods: `service-account-change` and
//! `pod-connect`.

use crate::rules::RuleId;
use crate::settings::Settings;
use policy_common::glob::glob_match;
use policy_common::shape::{self, Malformed};
use policy_common::{Report, Request, WorkloadKind, redact};
use serde_json::Value;

/// The ServiceAccount the pods of `object` run as, failing closed: `Err` when the pod spec, a
/// step on the way to it, `serviceAccountName` or `serviceAccount` has the wrong type.
fn service_account(kind: WorkloadKind, object: &Value) -> Result<Option<String>, Malformed> {
    let pointer = kind.pod_spec_pointer();
    let Some(spec) = shape::object(object, pointer)? else {
        return Ok(None);
    };
    let spec = Value::Object(spec.clone());
    let mut found = None;
    // `serviceAccount` is the deprecated alias the API server still copies over.
    for field in ["serviceAccountName", "serviceAccount"] {
        let name = shape::string(&spec, &format!("/{field}"))
            .map_err(|m| Malformed::new(format!("{pointer}{}", m.path), m.expected))?;
        found = found.or(name.filter(|s| !s.is_empty()));
    }
    Ok(Some(found.unwrap_or("default").to_string()))
}

/// `serviceAccountName` of a controller's pod template may only change by listed users/groups.
pub fn service_account_change(req: &Request<'_>, s: &Settings, report: &mut Report) {
    if s.service_account_change.is_off() {
        return;
    }
    // A Pod's serviceAccountName is immutable: the API server refuses the change itself.
    let Some(kind) =
        WorkloadKind::from_group_kind(req.group(), req.kind()).filter(|k| *k != WorkloadKind::Pod)
    else {
        return;
    };
    let read = |object| service_account(kind, object);
    let (after, before) = match (read(req.object()), read(req.old_object())) {
        (Ok(Some(after)), Ok(Some(before))) => (after, before),
        (Err(problem), _) => return report.malformed(&problem, s.service_account_change),
        (_, Err(problem)) => {
            let problem = Malformed::new(format!("oldObject{}", problem.path), problem.expected);
            return report.malformed(&problem, s.service_account_change);
        }
        _ => return,
    };
    if before == after {
        return;
    }
    let (before, after) = (redact::value(&before), redact::value(&after));
    let user = &req.raw.user_info;
    let allowed = s
        .service_account_change_users
        .iter()
        .any(|p| glob_match(p, &user.username))
        || user.groups.iter().any(|g| {
            s.service_account_change_groups
                .iter()
                .any(|p| glob_match(p, g))
        });
    if !allowed {
        report.add(
            RuleId::ServiceAccountChange.as_str(),
            s.service_account_change,
            format!(
                "{} '{}': {}/serviceAccountName changed from '{before}' to '{after}': the pods would run with another identity's permissions; only the users {:?} and groups {:?} may change it",
                kind,
                redact::value(req.name()),
                kind.pod_spec_pointer(),
                s.service_account_change_users,
                s.service_account_change_groups
            ),
        );
    }
}

/// `pods/exec`, `attach`, `portforward` CONNECT in the configured namespaces.
pub fn pod_connect(req: &Request<'_>, s: &Settings, report: &mut Report) {
    let sub = req.sub_resource();
    if s.pod_connect.is_off()
        || req.group() != ""
        || !s.pod_connect_subresources.iter().any(|x| x == sub)
    {
        return;
    }
    let namespace = req.namespace();
    let shown = redact::value(namespace);
    if let Some(p) = s
        .pod_connect_namespaces
        .iter()
        .find(|p| glob_match(p, namespace))
    {
        report.add(
            RuleId::PodConnect.as_str(),
            s.pod_connect,
            format!(
                "pods/{sub} to pod '{}' in namespace '{shown}' is not allowed: the namespace matches podConnectNamespaces '{p}', where interactive access to containers is denied",
                redact::value(req.name())
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
    use policy_common::Action;
    use serde_json::json;

    fn raw(v: Value) -> KubernetesAdmissionRequest {
        serde_json::from_value(v).unwrap()
    }

    fn deployment(sa: Option<&str>) -> Value {
        let mut spec = json!({"containers": [{"name": "c"}]});
        if let Some(sa) = sa {
            spec["serviceAccountName"] = json!(sa);
        }
        json!({"metadata": {"name": "web"}, "spec": {"template": {"spec": spec}}})
    }

    fn update(
        kind: Value,
        old: Value,
        new: Value,
        user: &str,
        groups: &[&str],
    ) -> KubernetesAdmissionRequest {
        raw(
            json!({"operation": "UPDATE", "kind": kind, "name": "web", "namespace": "prod",
                   "userInfo": {"username": user, "groups": groups}, "object": new, "oldObject": old}),
        )
    }

    fn sa_change(r: &KubernetesAdmissionRequest, s: &Settings) -> Report {
        let mut report = Report::new();
        service_account_change(&Request::new(r), s, &mut report);
        report
    }

    #[test]
    fn service_account_change_on_controllers() {
        let apps = json!({"group": "apps", "version": "v1", "kind": "Deployment"});
        let s = Settings::default();
        let r = update(
            apps.clone(),
            deployment(None),
            deployment(Some("admin-sa")),
            "bob",
            &[],
        );
        let report = sa_change(&r, &s);
        let v = report.violations();
        assert_eq!(v.len(), 1);
        assert!(
            v[0].message.contains("Deployment 'web': /spec/template/spec/serviceAccountName changed from 'default' to 'admin-sa'"),
            "{}",
            v[0].message
        );
        let same = update(
            apps.clone(),
            deployment(Some("default")),
            deployment(None),
            "bob",
            &[],
        );
        assert!(
            sa_change(&same, &s).violations().is_empty(),
            "absent means default"
        );
        let allowed = Settings {
            service_account_change_users: vec!["deployer".into()],
            service_account_change_groups: vec!["platform-*".into()],
            ..Settings::default()
        };
        let by_user = update(
            apps.clone(),
            deployment(None),
            deployment(Some("x")),
            "deployer",
            &[],
        );
        assert!(sa_change(&by_user, &allowed).violations().is_empty());
        let by_group = update(
            apps.clone(),
            deployment(None),
            deployment(Some("x")),
            "eve",
            &["platform-ops"],
        );
        assert!(sa_change(&by_group, &allowed).violations().is_empty());
        let pod = json!({"group": "", "version": "v1", "kind": "Pod"});
        let p = |sa: &str| json!({"spec": {"serviceAccountName": sa, "containers": []}});
        assert!(
            sa_change(&update(pod, p("a"), p("b"), "bob", &[]), &s)
                .violations()
                .is_empty()
        );
        let warn = Settings {
            service_account_change: Action::Warn,
            ..Settings::default()
        };
        let r = update(apps, deployment(None), deployment(Some("x")), "bob", &[]);
        assert_eq!(sa_change(&r, &warn).violations()[0].action, Action::Warn);
    }

    fn connect(sub: &str, ns: &str) -> KubernetesAdmissionRequest {
        raw(
            json!({"operation": "CONNECT", "kind": {"group": "", "version": "v1", "kind": "PodExecOptions"},
                   "subResource": sub, "name": "web", "namespace": ns, "userInfo": {"username": "bob"}}),
        )
    }

    #[test]
    fn pod_connect_in_configured_namespaces() {
        let s = Settings {
            pod_connect_namespaces: vec!["prod-*".into()],
            ..Settings::default()
        };
        let run = |r: &KubernetesAdmissionRequest, s: &Settings| {
            let mut report = Report::new();
            pod_connect(&Request::new(r), s, &mut report);
            report
        };
        let v = run(&connect("exec", "prod-eu"), &s);
        assert!(v.is_denied());
        assert!(
            v.violations()[0]
                .message
                .contains("pods/exec to pod 'web' in namespace 'prod-eu'")
        );
        assert!(!run(&connect("exec", "dev"), &s).is_denied());
        assert!(!run(&connect("log", "prod-eu"), &s).is_denied());
        assert!(
            !run(&connect("exec", "prod-eu"), &Settings::default()).is_denied(),
            "no namespaces by default"
        );
        let only_exec = Settings {
            pod_connect_subresources: vec!["exec".into()],
            ..s.clone()
        };
        assert!(!run(&connect("attach", "prod-eu"), &only_exec).is_denied());
        assert!(run(&connect("portforward", "prod-eu"), &s).is_denied());
    }
}
