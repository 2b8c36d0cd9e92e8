//! What a RoleBinding or ClusterRoleBinding references and whom it binds: `role-ref`,
//! `subjects`, `default-service-account`, `cross-namespace-service-account`.

use crate::rules::RuleId;
use crate::settings::{Settings, SubjectPattern};
use policy_common::Report;
use policy_common::glob::glob_match;
use policy_common::json::str_at;
use policy_common::redact::value as redacted;
use policy_common::shape::{self, Malformed};
use serde_json::Value;

/// The parts of a binding the rules read.
pub struct Binding<'a> {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'a str,
    pub name: &'a str,
    /// Empty for a ClusterRoleBinding.
    pub namespace: &'a str,
    pub role_kind: &'a str,
    pub role_name: &'a str,
    pub subjects: Vec<Subject<'a>>,
}

pub struct Subject<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: &'a str,
}

impl Subject<'_> {
    fn describe(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} '{}'", redacted(self.kind), redacted(self.name))
        } else {
            format!(
                "{} '{}/{}'",
                redacted(self.kind),
                redacted(self.namespace),
                redacted(self.name)
            )
        }
    }

    fn matches(&self, p: &SubjectPattern) -> bool {
        let m = |pattern: &Option<String>, value: &str| {
            pattern.as_deref().is_none_or(|p| glob_match(p, value))
        };
        m(&p.kind, self.kind) && m(&p.name, self.name) && m(&p.namespace, self.namespace)
    }
}

impl<'a> Binding<'a> {
    pub fn new(kind: &'a str, name: &'a str, namespace: &'a str, object: &'a Value) -> Self {
        let subjects = object
            .get("subjects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|s| Subject {
                kind: str_at(s, "/kind").unwrap_or(""),
                name: str_at(s, "/name").unwrap_or(""),
                namespace: str_at(s, "/namespace").unwrap_or(""),
            })
            .collect();
        Binding {
            kind,
            name,
            namespace: if kind == "ClusterRoleBinding" {
                ""
            } else {
                namespace
            },
            role_kind: str_at(object, "/roleRef/kind").unwrap_or(""),
            role_name: str_at(object, "/roleRef/name").unwrap_or(""),
            subjects,
        }
    }

    pub fn describe(&self) -> String {
        format!("{} '{}'", self.kind, redacted(self.name))
    }

    pub fn describe_role(&self) -> String {
        format!(
            "{} '{}'",
            redacted(self.role_kind),
            redacted(self.role_name)
        )
    }
}

/// Fail closed on `subjects`: a list of objects whose `kind` is one Kubernetes knows and whose
/// `name` and `namespace` are strings.
pub fn malformed_subjects(object: &Value) -> Option<Malformed> {
    let subjects = match shape::object_list(object, "/subjects") {
        Ok(subjects) => subjects,
        Err(problem) => return Some(problem),
    };
    subjects.iter().enumerate().find_map(|(i, s)| {
        let at = |field: &str, expected| Malformed::new(format!("/subjects/{i}/{field}"), expected);
        if !matches!(
            s.get("kind").and_then(Value::as_str),
            Some("User" | "Group" | "ServiceAccount")
        ) {
            return Some(at("kind", "one of User, Group or ServiceAccount"));
        }
        if !s.get("name").is_some_and(Value::is_string) {
            return Some(at("name", "a string"));
        }
        if !s
            .get("namespace")
            .is_none_or(|n| n.is_string() || n.is_null())
        {
            return Some(at("namespace", "a string"));
        }
        None
    })
}

/// Fail closed on `roleRef`: an object naming a `Role` or `ClusterRole`.
pub fn malformed_role_ref(object: &Value) -> Option<Malformed> {
    let role_ref = match shape::object(object, "/roleRef") {
        Ok(Some(r)) => r,
        Ok(None) => return Some(Malformed::new("/roleRef", "an object")),
        Err(problem) => return Some(problem),
    };
    if !matches!(
        role_ref.get("kind").and_then(Value::as_str),
        Some("Role" | "ClusterRole")
    ) {
        return Some(Malformed::new(
            "/roleRef/kind",
            "one of Role or ClusterRole",
        ));
    }
    if role_ref
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Some(Malformed::new("/roleRef/name", "a non-empty string"));
    }
    None
}

/// Whether the roleRef is on the deny-list; such a binding is judged by this rule alone.
pub fn is_denied_role(b: &Binding<'_>, s: &Settings) -> bool {
    let list = if b.kind == "ClusterRoleBinding" {
        &s.denied_role_refs.cluster_role_bindings
    } else {
        &s.denied_role_refs.role_bindings
    };
    (b.role_kind == "ClusterRole" || s.role_ref_match_any_kind)
        && list.iter().any(|n| n == b.role_name)
}

pub fn check(b: &Binding<'_>, s: &Settings, report: &mut Report) {
    if s.role_ref.is_on() && is_denied_role(b, s) {
        let outsiders: Vec<String> = b
            .subjects
            .iter()
            .enumerate()
            .filter(|(_, sub)| !s.role_ref_allowed_subjects.iter().any(|p| sub.matches(p)))
            .map(|(i, sub)| format!("subjects[{i}] {}", sub.describe()))
            .collect();
        if !outsiders.is_empty() {
            report.add(
                RuleId::RoleRef.as_str(),
                s.role_ref,
                format!(
                    "{}: roleRef {} is denied in a {}: {}; not allowed for {}",
                    b.describe(),
                    b.describe_role(),
                    b.kind,
                    why_denied(b.role_name),
                    outsiders.join(", ")
                ),
            );
        }
    }
    for (i, sub) in b.subjects.iter().enumerate() {
        subject(b, i, sub, s, report);
    }
}

fn why_denied(role: &str) -> &'static str {
    match role {
        "cluster-admin" => {
            "it grants verbs [*] on resources [*] in apiGroups [*], full control of the cluster"
        }
        "admin" => "it grants full control of namespaces, including secrets and RoleBindings",
        "edit" => "it grants writes to most objects, read of secrets and exec into pods",
        _ => "it is on the deny-list of roles",
    }
}

/// Why nobody may bind a role to this subject (a built-in group or user, or one of
/// `deniedSubjects`), unless the role is a ClusterRole of `deniedSubjectsAllowedRoles`. Only
/// ClusterRoles: a namespace's own Role of the same name may grant anything.
fn denied_subject(b: &Binding<'_>, sub: &Subject<'_>, s: &Settings) -> Option<&'static str> {
    let built_in = match (sub.kind, sub.name) {
        ("User" | "Group", "system:anonymous") => {
            Some("grants the role to unauthenticated requests")
        }
        ("User" | "Group", "system:unauthenticated") => {
            Some("grants the role to every unauthenticated request")
        }
        ("User" | "Group", "system:authenticated") if s.deny_authenticated_group => {
            Some("grants the role to every authenticated user and service account")
        }
        ("User" | "Group", "system:masters") if s.deny_masters_group => {
            Some("system:masters already bypasses RBAC; binding it hides who holds the role")
        }
        _ => None,
    };
    let why = built_in.or_else(|| {
        s.denied_subjects
            .iter()
            .any(|p| sub.matches(p))
            .then_some("the subject is on the deny-list (deniedSubjects)")
    })?;
    let allowed_role = b.role_kind == "ClusterRole"
        && s.denied_subjects_allowed_roles
            .iter()
            .any(|g| glob_match(g, b.role_name));
    (!allowed_role).then_some(why)
}

fn subject(b: &Binding<'_>, i: usize, sub: &Subject<'_>, s: &Settings, report: &mut Report) {
    let at = format!(
        "{}: subjects[{i}] {} bound to {}",
        b.describe(),
        sub.describe(),
        b.describe_role()
    );
    if let Some(why) = denied_subject(b, sub, s) {
        report.add(
            RuleId::Subjects.as_str(),
            s.subjects,
            format!("{at}: {why}"),
        );
    }
    if sub.kind != "ServiceAccount" {
        return;
    }
    if sub.name == "default" {
        report.add(
            RuleId::DefaultServiceAccount.as_str(),
            s.default_service_account,
            format!(
                "{at}: the 'default' ServiceAccount is used by every pod that names none, so every such pod gets the role"
            ),
        );
    }
    if !b.namespace.is_empty() && !sub.namespace.is_empty() && sub.namespace != b.namespace {
        report.add(
            RuleId::CrossNamespaceServiceAccount.as_str(),
            s.cross_namespace_service_account,
            format!(
                "{at}: the ServiceAccount belongs to namespace '{}', not '{}', so workloads of another namespace get the role",
                redacted(sub.namespace),
                redacted(b.namespace)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_common::Action;
    use serde_json::json;

    fn run(kind: &str, object: Value, s: &Settings) -> Vec<(String, Action, String)> {
        let b = Binding::new(kind, "b", "team-a", &object);
        let mut r = Report::new();
        check(&b, s, &mut r);
        r.violations()
            .iter()
            .map(|v| (v.rule.to_string(), v.action, v.message.clone()))
            .collect()
    }

    fn binding(role_kind: &str, role: &str, subjects: Value) -> Value {
        json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role}, "subjects": subjects})
    }

    #[test]
    fn denied_role_refs_per_binding_kind() {
        let s = Settings::default();
        let alice = json!([{"kind": "User", "name": "alice"}]);
        let v = run(
            "ClusterRoleBinding",
            binding("ClusterRole", "cluster-admin", alice.clone()),
            &s,
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, "role-ref");
        assert!(
            v[0].2
                .contains("ClusterRoleBinding 'b': roleRef ClusterRole 'cluster-admin'"),
            "{}",
            v[0].2
        );
        assert!(v[0].2.contains("subjects[0] User 'alice'"), "{}", v[0].2);
        assert_eq!(
            run(
                "ClusterRoleBinding",
                binding("ClusterRole", "edit", alice.clone()),
                &s
            )
            .len(),
            1
        );
        assert!(
            run(
                "RoleBinding",
                binding("ClusterRole", "edit", alice.clone()),
                &s
            )
            .is_empty()
        );
        assert_eq!(
            run(
                "RoleBinding",
                binding("ClusterRole", "cluster-admin", alice.clone()),
                &s
            )
            .len(),
            1
        );
        // a namespaced Role that happens to be called cluster-admin is not the ClusterRole
        assert!(
            run(
                "RoleBinding",
                binding("Role", "cluster-admin", alice.clone()),
                &s
            )
            .is_empty()
        );
        let any = Settings {
            role_ref_match_any_kind: true,
            ..Settings::default()
        };
        assert_eq!(
            run("RoleBinding", binding("Role", "cluster-admin", alice), &any).len(),
            1
        );
    }

    #[test]
    fn allowed_subjects_may_hold_denied_roles() {
        let s = Settings {
            role_ref_allowed_subjects: vec![SubjectPattern {
                kind: Some("Group".into()),
                name: Some("platform-*".into()),
                namespace: None,
            }],
            ..Settings::default()
        };
        let ok = binding(
            "ClusterRole",
            "cluster-admin",
            json!([{"kind": "Group", "name": "platform-admins"}]),
        );
        assert!(run("ClusterRoleBinding", ok, &s).is_empty());
        let mixed = binding(
            "ClusterRole",
            "cluster-admin",
            json!([{"kind": "Group", "name": "platform-admins"}, {"kind": "User", "name": "mallory"}]),
        );
        let v = run("ClusterRoleBinding", mixed, &s);
        assert!(
            v[0].2.contains("subjects[1] User 'mallory'") && !v[0].2.contains("subjects[0]"),
            "{}",
            v[0].2
        );
    }

    #[test]
    fn dangerous_subjects() {
        let s = Settings::default();
        for (kind, name) in [
            ("User", "system:anonymous"),
            ("Group", "system:unauthenticated"),
            ("Group", "system:authenticated"),
            ("Group", "system:masters"),
        ] {
            let v = run(
                "RoleBinding",
                binding("Role", "r", json!([{"kind": kind, "name": name}])),
                &s,
            );
            assert_eq!(v.len(), 1, "{name}");
            assert_eq!(v[0].0, "subjects");
            assert!(v[0].2.contains("subjects[0]"), "{}", v[0].2);
        }
        let lax = Settings {
            deny_authenticated_group: false,
            deny_masters_group: false,
            ..Settings::default()
        };
        for name in [
            "system:authenticated",
            "system:masters",
            "system:anonymousx",
        ] {
            let v = run(
                "RoleBinding",
                binding("Role", "r", json!([{"kind": "Group", "name": name}])),
                &lax,
            );
            assert!(v.is_empty(), "{name}");
        }
    }

    #[test]
    fn service_account_subjects() {
        let s = Settings::default();
        let v = run(
            "RoleBinding",
            binding(
                "Role",
                "r",
                json!([{"kind": "ServiceAccount", "name": "default", "namespace": "team-a"}]),
            ),
            &s,
        );
        assert_eq!(v.len(), 1);
        assert_eq!(
            (v[0].0.as_str(), v[0].1),
            ("default-service-account", Action::Deny)
        );
        let v = run(
            "RoleBinding",
            binding(
                "Role",
                "r",
                json!([{"kind": "ServiceAccount", "name": "ci", "namespace": "team-b"}]),
            ),
            &s,
        );
        assert_eq!(
            (v[0].0.as_str(), v[0].1),
            ("cross-namespace-service-account", Action::Warn)
        );
        assert!(
            v[0].2.contains("namespace 'team-b', not 'team-a'"),
            "{}",
            v[0].2
        );
        let same = binding(
            "Role",
            "r",
            json!([{"kind": "ServiceAccount", "name": "ci", "namespace": "team-a"}]),
        );
        assert!(run("RoleBinding", same.clone(), &s).is_empty());
        assert!(
            run("ClusterRoleBinding", same, &s).is_empty(),
            "no home namespace for a ClusterRoleBinding"
        );
    }

    #[test]
    fn malformed_subjects_are_ignored() {
        let s = Settings::default();
        assert!(run("RoleBinding", json!({"roleRef": 3, "subjects": "x"}), &s).is_empty());
        assert!(run("RoleBinding", json!({"subjects": [1, {"kind": 2}]}), &s).is_empty());
    }

    #[test]
    fn denied_subjects_and_the_cluster_roles_they_may_hold() {
        let mut s = Settings::default();
        let unauthenticated = json!([{"kind": "Group", "name": "system:unauthenticated"}]);
        let public = binding(
            "ClusterRole",
            "system:public-info-viewer",
            unauthenticated.clone(),
        );
        assert_eq!(run("ClusterRoleBinding", public.clone(), &s).len(), 1);
        s.denied_subjects_allowed_roles = vec!["system:public-info-*".into()];
        assert!(run("ClusterRoleBinding", public, &s).is_empty());
        // A namespace's Role of that name is no ClusterRole: still denied.
        let role = binding("Role", "system:public-info-viewer", unauthenticated);
        assert_eq!(run("RoleBinding", role, &s).len(), 1);

        let contractor = json!([{"kind": "User", "name": "bob@contractor.example"}]);
        let view = binding("ClusterRole", "view", contractor);
        assert!(run("ClusterRoleBinding", view.clone(), &s).is_empty());
        s.denied_subjects = vec![SubjectPattern {
            kind: Some("User".into()),
            name: Some("*@contractor.example".into()),
            namespace: None,
        }];
        let v = run("ClusterRoleBinding", view, &s);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, "subjects");
        assert!(v[0].2.contains("deny-list (deniedSubjects)"), "{}", v[0].2);
    }
}
