//! Which rules judge which request: Roles and ClusterRoles, their bindings, and the workload
//! rules on UPDATE and CONNECT.

use crate::effective::{self, RoleSource};
use crate::roles::{self, Family};
use crate::rules::RuleId;
use crate::settings::Settings;
use crate::{bindings, matching, workloads};
use policy_common::redact;
use policy_common::{Action, Operation, Report, Request};
use serde_json::Value;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const AGGREGATE_TO: [&str; 3] = ["admin", "edit", "view"];

/// Every rule that applies to the request.
pub fn evaluate(req: &Request<'_>, s: &Settings, roles: &dyn RoleSource) -> Report {
    let mut report = Report::new();
    match (req.operation(), req.group(), req.kind()) {
        (Operation::Create | Operation::Update, RBAC_GROUP, "Role" | "ClusterRole") => {
            role(req, s, &mut report)
        }
        (
            Operation::Create | Operation::Update,
            RBAC_GROUP,
            kind @ ("RoleBinding" | "ClusterRoleBinding"),
        ) => binding(req, kind, s, roles, &mut report),
        (Operation::Connect, _, _) => workloads::pod_connect(req, s, &mut report),
        (Operation::Update, _, _) => workloads::service_account_change(req, s, &mut report),
        _ => {}
    }
    report
}

/// The built-in roles a ClusterRole adds its rules to, from its aggregation labels.
fn aggregated_into(object: &Value) -> Vec<&'static str> {
    let labels = object.pointer("/metadata/labels");
    AGGREGATE_TO
        .into_iter()
        .filter(|r| {
            let key = format!("{RBAC_GROUP}/aggregate-to-{r}");
            labels.and_then(|l| l.get(&key)).and_then(Value::as_str) == Some("true")
        })
        .collect()
}

fn family_action(s: &Settings, f: Family) -> Action {
    match f {
        Family::Wildcards => s.wildcards,
        Family::Escalation => s.escalation,
        Family::Sensitive => s.sensitive,
    }
}

fn role(req: &Request<'_>, s: &Settings, report: &mut Report) {
    let (kind, name, object) = (req.kind(), req.name(), req.object());
    let aggregated = if kind == "ClusterRole" && s.aggregation.is_on() {
        aggregated_into(object)
    } else {
        Vec::new()
    };
    // An exact name always exempts; a prefix does not cover a role that feeds the built-ins.
    if s.role_exemptions.by_name(name)
        || (aggregated.is_empty() && s.role_exemptions.by_prefix(name))
    {
        return;
    }
    // Fail closed: a field of the rules that cannot be read takes the strictest action among
    // the families that read it (the aggregation action in an aggregated ClusterRole).
    let families = s.wildcards.strictest(s.escalation).strictest(s.sensitive);
    let rules_action = match (families.is_on(), aggregated.is_empty()) {
        (false, _) => Action::Off,
        (true, true) => families,
        (true, false) => s.aggregation,
    };
    if let Some(problem) = matching::malformed_rules(object) {
        report.malformed(&problem, rules_action);
    }
    if kind == "ClusterRole"
        && let Err(problem) = policy_common::shape::object(object, "/metadata/labels")
    {
        report.malformed(&problem, s.aggregation);
    }
    let name = redact::value(name);
    for f in roles::check(object, s) {
        if aggregated.is_empty() {
            report.add(
                f.family.rule_id().as_str(),
                family_action(s, f.family),
                format!("{kind} '{name}' {}", f.message),
            );
        } else {
            report.add(
                RuleId::Aggregation.as_str(),
                s.aggregation,
                format!(
                    "{kind} '{name}' {} ({}); its labels aggregate it into the built-in {:?} roles, so every holder of those gets it",
                    f.message,
                    f.family.rule_id().as_str(),
                    aggregated
                ),
            );
        }
    }
}

fn binding(
    req: &Request<'_>,
    kind: &str,
    s: &Settings,
    roles: &dyn RoleSource,
    report: &mut Report,
) {
    let name = req.name();
    if s.binding_exemptions.by_name(name) || s.binding_exemptions.by_prefix(name) {
        return;
    }
    let object = req.object();
    let subjects_action = s
        .role_ref
        .strictest(s.subjects)
        .strictest(s.default_service_account)
        .strictest(s.cross_namespace_service_account);
    if let Some(problem) = bindings::malformed_subjects(object) {
        report.malformed(&problem, subjects_action);
    }
    let role_ref_action = s
        .role_ref
        .strictest(s.effective_permissions)
        .strictest(s.missing_role);
    if let Some(problem) = bindings::malformed_role_ref(object) {
        report.malformed(&problem, role_ref_action);
    }
    let b = bindings::Binding::new(kind, name, req.namespace(), object);
    bindings::check(&b, s, report);
    // A denied roleRef is judged by its own rule; reading the role would repeat it.
    if !(s.role_ref.is_on() && bindings::is_denied_role(&b, s)) {
        effective::check(&b, s, roles, report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
    use serde_json::json;

    struct NoRoles;
    impl RoleSource for NoRoles {
        fn get(
            &self,
            kind: &str,
            name: &str,
            _: Option<&str>,
        ) -> Result<Vec<u8>, effective::RoleReadError> {
            Err(effective::RoleReadError(format!("{kind} {name} not found")))
        }
    }

    fn raw(op: &str, kind: &str, object: Value) -> KubernetesAdmissionRequest {
        let name = object
            .pointer("/metadata/name")
            .cloned()
            .unwrap_or(json!(""));
        serde_json::from_value(json!({
            "operation": op, "kind": {"group": RBAC_GROUP, "version": "v1", "kind": kind},
            "name": name, "namespace": "team-a", "userInfo": {"username": "alice"},
            "object": if op == "DELETE" { Value::Null } else { object.clone() },
            "oldObject": object
        }))
        .unwrap()
    }

    fn run(op: &str, kind: &str, object: Value, s: &Settings) -> Report {
        let r = raw(op, kind, object);
        evaluate(&Request::new(&r), s, &NoRoles)
    }

    fn admin_role(name: &str, labels: Value) -> Value {
        json!({"metadata": {"name": name, "labels": labels},
               "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]})
    }

    #[test]
    fn role_and_cluster_role_are_checked_on_create_and_update() {
        let s = Settings::default();
        for op in ["CREATE", "UPDATE"] {
            for kind in ["Role", "ClusterRole"] {
                let r = run(op, kind, admin_role("everything", json!({})), &s);
                assert!(r.is_denied(), "{op} {kind}");
                let rules: Vec<_> = r.violations().iter().map(|v| v.rule).collect();
                assert!(
                    rules.contains(&"wildcards")
                        && rules.contains(&"escalation")
                        && rules.contains(&"sensitive")
                );
                assert!(
                    r.violations()[0]
                        .message
                        .starts_with(&format!("{kind} 'everything' rules[0]"))
                );
            }
        }
        assert!(
            run(
                "DELETE",
                "ClusterRole",
                admin_role("everything", json!({})),
                &s
            )
            .violations()
            .is_empty()
        );
    }

    #[test]
    fn system_prefix_exempts_but_near_misses_do_not() {
        let s = Settings::default();
        assert!(
            !run(
                "CREATE",
                "ClusterRole",
                admin_role("system:foo", json!({})),
                &s
            )
            .is_denied()
        );
        for near in ["systemfoo", "system-foo", "System:foo", "xsystem:foo"] {
            assert!(
                run("CREATE", "ClusterRole", admin_role(near, json!({})), &s).is_denied(),
                "{near}"
            );
        }
    }

    #[test]
    fn aggregated_cluster_roles_are_held_to_the_rules() {
        let s = Settings::default();
        let labels = json!({"rbac.authorization.k8s.io/aggregate-to-edit": "true"});
        let r = run(
            "CREATE",
            "ClusterRole",
            admin_role("system:sneaky", labels.clone()),
            &s,
        );
        assert!(r.is_denied(), "a prefix does not exempt an aggregated role");
        let v = &r.violations()[0];
        assert_eq!(v.rule, "aggregation");
        assert!(v.message.contains("[\"edit\"]"), "{}", v.message);
        assert!(
            !run(
                "CREATE",
                "ClusterRole",
                admin_role("system:aggregate-to-edit", labels.clone()),
                &s
            )
            .is_denied()
        );
        let off = Settings {
            aggregation: Action::Off,
            ..Settings::default()
        };
        assert!(
            !run(
                "CREATE",
                "ClusterRole",
                admin_role("system:sneaky", labels),
                &off
            )
            .is_denied()
        );
    }

    #[test]
    fn bindings_dispatch_and_exemptions() {
        let s = Settings::default();
        let b = |name: &str, role: &str| {
            json!({"metadata": {"name": name, "namespace": "team-a"},
                   "roleRef": {"kind": "ClusterRole", "name": role},
                   "subjects": [{"kind": "User", "name": "alice"}]})
        };
        let r = run(
            "CREATE",
            "ClusterRoleBinding",
            b("root", "cluster-admin"),
            &s,
        );
        assert_eq!(r.violations().len(), 1, "{:?}", r.violations());
        assert_eq!(r.violations()[0].rule, "role-ref");
        assert!(
            r.violations().iter().all(|v| v.rule != "missing-role"),
            "denied roleRef is not looked up"
        );
        assert!(
            !run(
                "CREATE",
                "ClusterRoleBinding",
                b("system:root", "cluster-admin"),
                &s
            )
            .is_denied()
        );
        assert!(
            run(
                "CREATE",
                "ClusterRoleBinding",
                b("system-root", "cluster-admin"),
                &s
            )
            .is_denied()
        );
        let r = run("UPDATE", "RoleBinding", b("x", "unknown"), &s);
        assert_eq!(r.violations()[0].rule, "missing-role");
        assert!(!r.is_denied());
        assert!(
            run(
                "DELETE",
                "ClusterRoleBinding",
                b("root", "cluster-admin"),
                &s
            )
            .violations()
            .is_empty()
        );
    }

    #[test]
    fn unknown_kinds_are_accepted() {
        let r = run(
            "CREATE",
            "Something",
            admin_role("x", json!({})),
            &Settings::default(),
        );
        assert!(r.violations().is_empty());
    }
}
