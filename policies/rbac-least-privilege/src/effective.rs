//! What a binding actually grants, read from the Role or ClusterRole it references:
//! `effective-permissions` and `missing-role`.

use crate::bindings::Binding;
use crate::roles;
use crate::rules::RuleId;
use crate::settings::Settings;
use policy_common::Report;
use serde::Deserialize;
use serde_json::{Value, json};

/// Why a referenced role could not be read (the host's own words, or why its answer is
/// unusable); quoted in the `missing-role` finding. A message, not an enum, so that the wasm
/// module carries no `Display` for it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RoleReadError(pub String);

/// Where referenced roles come from: the host in the wasm module, a fake in unit tests.
pub trait RoleSource {
    /// The role object's JSON.
    fn get(
        &self,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<u8>, RoleReadError>;
}

/// `kubernetes/get_resource` through waPC (the SDK's typed helper needs k8s-openapi).
pub struct HostRoles;

impl RoleSource for HostRoles {
    fn get(
        &self,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<u8>, RoleReadError> {
        let payload = json!({
            "api_version": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "name": name,
            "namespace": namespace,
            "disable_cache": false,
        });
        host_get(&payload.to_string())
    }
}

#[cfg(target_arch = "wasm32")]
fn host_get(payload: &str) -> Result<Vec<u8>, RoleReadError> {
    wapc_guest::host_call(
        "kubewarden",
        "kubernetes",
        "get_resource",
        payload.as_bytes(),
    )
    .map_err(|e| RoleReadError(e.to_string()))
}

#[cfg(not(target_arch = "wasm32"))]
fn host_get(_payload: &str) -> Result<Vec<u8>, RoleReadError> {
    Err(RoleReadError(
        "host capabilities exist only in the wasm module".to_string(),
    ))
}

/// Only the fields the rules read; the rest of the object is skipped unparsed.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct FetchedRole {
    rules: Value,
    aggregation_rule: Option<serde::de::IgnoredAny>,
}

pub fn check(b: &Binding<'_>, s: &Settings, source: &dyn RoleSource, report: &mut Report) {
    if s.effective_permissions.is_off() && s.missing_role.is_off() {
        return;
    }
    let namespace = match (b.role_kind, b.kind) {
        ("ClusterRole", _) => None,
        // A ClusterRoleBinding cannot reference a Role; the API server refuses it.
        ("Role", "RoleBinding") if !b.namespace.is_empty() => Some(b.namespace),
        _ => return,
    };
    if b.role_name.is_empty() {
        return;
    }
    let at = format!("{}: roleRef {}", b.describe(), b.describe_role());
    let fetched = source
        .get(b.role_kind, b.role_name, namespace)
        .and_then(|bytes| {
            serde_json::from_slice::<FetchedRole>(&bytes).map_err(|e| {
                RoleReadError(format!(
                    "unreadable answer: {}",
                    policy_common::settings::describe_serde_error(&e)
                ))
            })
        });
    let role = match fetched {
        Ok(role) => role,
        Err(RoleReadError(e)) => {
            report.add(
                RuleId::MissingRole.as_str(),
                s.missing_role,
                format!(
                    "{at} could not be read ({}): the permissions it grants were not checked",
                    policy_common::redact::value(&e)
                ),
            );
            return;
        }
    };
    if role.aggregation_rule.is_some() {
        report.warn(
            RuleId::EffectivePermissions.as_str(),
            format!(
                "{at} is aggregated: the controller fills its rules from the ClusterRoles its aggregationRule selects, only the rules present now were checked"
            ),
        );
    }
    if s.effective_permissions.is_off() {
        return;
    }
    let holder = json!({ "rules": role.rules });
    if let Some(problem) = crate::matching::malformed_rules(&holder) {
        report.add(
            RuleId::EffectivePermissions.as_str(),
            s.effective_permissions,
            format!(
                "{at} cannot be read: {} must be {}; the permissions it grants were not checked",
                problem.path, problem.expected
            ),
        );
    }
    for f in roles::check(&holder, s) {
        report.add(
            RuleId::EffectivePermissions.as_str(),
            s.effective_permissions,
            format!("{at} {}", f.message),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_common::Action;
    use std::cell::RefCell;

    struct Fake {
        answer: Result<Value, String>,
        asked: RefCell<Vec<String>>,
    }

    impl RoleSource for Fake {
        fn get(&self, kind: &str, name: &str, ns: Option<&str>) -> Result<Vec<u8>, RoleReadError> {
            self.asked
                .borrow_mut()
                .push(format!("{kind}/{name}@{ns:?}"));
            self.answer
                .clone()
                .map(|v| v.to_string().into_bytes())
                .map_err(RoleReadError)
        }
    }

    fn run(
        kind: &str,
        binding: Value,
        answer: Result<Value, String>,
        s: &Settings,
    ) -> (Vec<String>, Report) {
        let fake = Fake {
            answer,
            asked: RefCell::new(Vec::new()),
        };
        let b = Binding::new(kind, "b", "team-a", &binding);
        let mut r = Report::new();
        check(&b, s, &fake, &mut r);
        (fake.asked.into_inner(), r)
    }

    fn to(kind: &str, name: &str) -> Value {
        json!({"roleRef": {"kind": kind, "name": name}, "subjects": [{"kind": "User", "name": "alice"}]})
    }

    #[test]
    fn over_broad_referenced_role_is_denied() {
        let role = json!({"metadata": {"name": "x"}, "rules": [
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]});
        let (asked, r) = run(
            "ClusterRoleBinding",
            to("ClusterRole", "reader"),
            Ok(role),
            &Settings::default(),
        );
        assert_eq!(asked, vec!["ClusterRole/reader@None"]);
        let v = r.violations();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule, "effective-permissions");
        assert!(
            v[0].message.starts_with("ClusterRoleBinding 'b': roleRef ClusterRole 'reader' rules[1]: verbs [list] on resources [secrets]"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn harmless_role_and_namespaced_lookup() {
        let role =
            json!({"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]});
        let (asked, r) = run(
            "RoleBinding",
            to("Role", "cm"),
            Ok(role),
            &Settings::default(),
        );
        assert_eq!(asked, vec!["Role/cm@Some(\"team-a\")"]);
        assert!(r.violations().is_empty());
        let (asked, _) = run(
            "ClusterRoleBinding",
            to("Role", "cm"),
            Ok(json!({})),
            &Settings::default(),
        );
        assert!(asked.is_empty(), "invalid reference is not looked up");
    }

    #[test]
    fn missing_role_by_setting() {
        let (_, r) = run(
            "RoleBinding",
            to("ClusterRole", "gone"),
            Err("Host error: ClusterRole gone not found".into()),
            &Settings::default(),
        );
        let v = r.violations();
        assert_eq!((v[0].rule, v[0].action), ("missing-role", Action::Warn));
        assert!(
            v[0].message.contains("ClusterRole gone not found"),
            "{}",
            v[0].message
        );
        let deny = Settings {
            missing_role: Action::Deny,
            ..Settings::default()
        };
        let (_, r) = run(
            "RoleBinding",
            to("ClusterRole", "gone"),
            Err("x".into()),
            &deny,
        );
        assert!(r.is_denied());
        let (_, r) = run(
            "RoleBinding",
            to("ClusterRole", "odd"),
            Ok(json!({"rules": 7})),
            &deny,
        );
        // Fail closed: rules that cannot be read are not read as granting nothing.
        assert!(r.is_denied());
        assert_eq!(
            r.violations()[0].message,
            "RoleBinding 'b': roleRef ClusterRole 'odd' cannot be read: /rules must be a list; the permissions it grants were not checked"
        );
    }

    #[test]
    fn aggregated_role_is_noted() {
        let role = json!({"aggregationRule": {"clusterRoleSelectors": []}, "rules": []});
        let (_, r) = run(
            "RoleBinding",
            to("ClusterRole", "agg"),
            Ok(role),
            &Settings::default(),
        );
        let v = r.violations();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].action, Action::Warn);
        assert!(v[0].message.contains("aggregationRule"), "{}", v[0].message);
    }

    #[test]
    fn off_means_no_lookup() {
        let s = Settings {
            effective_permissions: Action::Off,
            missing_role: Action::Off,
            ..Settings::default()
        };
        let (asked, _) = run("RoleBinding", to("ClusterRole", "x"), Ok(json!({})), &s);
        assert!(asked.is_empty());
    }
}
