//! Settings of the policy: one action per rule, the shared exemption block and the lists the
//! rules compare against.

use crate::sensitive::{self, Permission};
use kubewarden_policy_sdk::settings::Validatable;
use policy_common::settings::SettingsError;
use policy_common::settings::{capped, names};
use policy_common::{Action, Exemptions};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    pub exemptions: Exemptions,
    /// Roles and ClusterRoles that are not checked (the API server's own by default).
    pub role_exemptions: NameExemptions,
    /// RoleBindings and ClusterRoleBindings that are not checked.
    pub binding_exemptions: NameExemptions,

    pub wildcards: Action,
    /// Which fields of a rule the `wildcards` rule reads.
    pub wildcards_in: Vec<WildcardField>,
    /// Only the element `*` is a wildcard; `*/scale`, `pods/*` and `/apis/*` are not.
    pub literal_wildcards_only: bool,
    pub escalation: Action,
    pub sensitive: Action,
    /// Replaces the built-in list of sensitive permissions.
    pub sensitive_permissions: Vec<Permission>,
    /// Added to `sensitivePermissions` (e.g. tokenreviews).
    pub additional_sensitive_permissions: Vec<Permission>,
    /// A rule narrowed by `resourceNames` is not a sensitive permission (except for the verbs
    /// Kubernetes cannot narrow by name: create, deletecollection).
    pub exempt_resource_names: bool,
    /// Findings in ClusterRoles aggregated into admin/edit/view; prefix exemptions do not apply.
    pub aggregation: Action,

    pub role_ref: Action,
    pub denied_role_refs: DeniedRoleRefs,
    /// Deny-list entries match a Role of that name too, not only a ClusterRole.
    pub role_ref_match_any_kind: bool,
    /// Subjects that may be bound to a denied role.
    pub role_ref_allowed_subjects: Vec<SubjectPattern>,

    pub subjects: Action,
    pub deny_authenticated_group: bool,
    pub deny_masters_group: bool,
    /// More subjects nobody may bind a role to (the `subjects` rule), added to the built-in ones.
    pub denied_subjects: Vec<SubjectPattern>,
    /// ClusterRoles (name globs) that may still be bound to denied subjects.
    pub denied_subjects_allowed_roles: Vec<String>,
    pub default_service_account: Action,
    pub cross_namespace_service_account: Action,

    pub effective_permissions: Action,
    pub missing_role: Action,

    pub service_account_change: Action,
    pub service_account_change_users: Vec<String>,
    pub service_account_change_groups: Vec<String>,

    pub pod_connect: Action,
    /// Namespaces (globs) where the connect subresources are denied.
    pub pod_connect_namespaces: Vec<String>,
    pub pod_connect_subresources: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            exemptions: Exemptions::default(),
            role_exemptions: NameExemptions::system_roles(),
            binding_exemptions: NameExemptions::system_prefix(),
            wildcards: Action::Deny,
            wildcards_in: WildcardField::ALL.to_vec(),
            literal_wildcards_only: false,
            escalation: Action::Deny,
            sensitive: Action::Deny,
            sensitive_permissions: sensitive::defaults(),
            additional_sensitive_permissions: Vec::new(),
            exempt_resource_names: false,
            aggregation: Action::Deny,
            role_ref: Action::Deny,
            denied_role_refs: DeniedRoleRefs::default(),
            role_ref_match_any_kind: false,
            role_ref_allowed_subjects: Vec::new(),
            subjects: Action::Deny,
            deny_authenticated_group: true,
            deny_masters_group: true,
            denied_subjects: Vec::new(),
            denied_subjects_allowed_roles: Vec::new(),
            default_service_account: Action::Deny,
            cross_namespace_service_account: Action::Warn,
            effective_permissions: Action::Deny,
            missing_role: Action::Warn,
            service_account_change: Action::Deny,
            service_account_change_users: Vec::new(),
            service_account_change_groups: Vec::new(),
            pod_connect: Action::Deny,
            pod_connect_namespaces: Vec::new(),
            pod_connect_subresources: vec!["exec".into(), "attach".into(), "portforward".into()],
        }
    }
}

/// Exact names and plain prefixes (no globs: a prefix is compared character by character, so
/// `system:` never matches `systemfoo` or `system-foo`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NameExemptions {
    pub names: Vec<String>,
    pub prefixes: Vec<String>,
}

impl NameExemptions {
    fn system_prefix() -> Self {
        NameExemptions {
            names: Vec::new(),
            prefixes: vec!["system:".into()],
        }
    }

    /// The API server's aggregated fragments are named exactly: a prefix alone does not exempt a
    /// ClusterRole that aggregates into admin/edit/view.
    fn system_roles() -> Self {
        NameExemptions {
            names: ["admin", "edit", "view"]
                .iter()
                .map(|r| format!("system:aggregate-to-{r}"))
                .collect(),
            prefixes: vec!["system:".into()],
        }
    }

    pub fn by_name(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    pub fn by_prefix(&self, name: &str) -> bool {
        self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    fn validate(&self, field: &str) -> Result<(), SettingsError> {
        names(&format!("{field}.names"), &self.names)?;
        names(&format!("{field}.prefixes"), &self.prefixes)
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DeniedRoleRefs {
    pub role_bindings: Vec<String>,
    pub cluster_role_bindings: Vec<String>,
}

impl Default for DeniedRoleRefs {
    fn default() -> Self {
        DeniedRoleRefs {
            role_bindings: vec!["cluster-admin".into()],
            cluster_role_bindings: vec!["cluster-admin".into(), "admin".into(), "edit".into()],
        }
    }
}

/// A field of a PolicyRule a wildcard can stand in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum WildcardField {
    #[serde(rename = "verbs")]
    Verbs,
    #[serde(rename = "resources")]
    Resources,
    #[serde(rename = "apiGroups")]
    ApiGroups,
    #[serde(rename = "nonResourceURLs")]
    NonResourceUrls,
}

impl WildcardField {
    pub const ALL: [WildcardField; 4] = [
        WildcardField::Verbs,
        WildcardField::Resources,
        WildcardField::ApiGroups,
        WildcardField::NonResourceUrls,
    ];
}

/// A subject pattern (a subject allowed to hold a denied role, or a denied subject); each given field is a glob, absent fields match all.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubjectPattern {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

impl Settings {
    /// The sensitive permissions in force.
    pub fn all_sensitive(&self) -> impl Iterator<Item = &Permission> {
        self.sensitive_permissions
            .iter()
            .chain(&self.additional_sensitive_permissions)
    }
}

/// The subject kinds of RBAC.
const SUBJECT_KINDS: [&str; 3] = ["User", "Group", "ServiceAccount"];

impl Settings {
    /// What `validate_settings` checks beyond deserialisation.
    #[inline]
    pub fn check(&self) -> Result<(), SettingsError> {
        self.exemptions.validate("exemptions")?;
        self.role_exemptions.validate("roleExemptions")?;
        self.binding_exemptions.validate("bindingExemptions")?;
        for (field, list) in [
            ("sensitivePermissions", &self.sensitive_permissions),
            (
                "additionalSensitivePermissions",
                &self.additional_sensitive_permissions,
            ),
        ] {
            capped(field, list.len())?;
            for (i, p) in list.iter().enumerate() {
                p.validate(&format!("{field}[{i}]"))?;
            }
        }
        for (field, list) in [
            (
                "deniedRoleRefs.roleBindings",
                &self.denied_role_refs.role_bindings,
            ),
            (
                "deniedRoleRefs.clusterRoleBindings",
                &self.denied_role_refs.cluster_role_bindings,
            ),
            (
                "serviceAccountChangeUsers",
                &self.service_account_change_users,
            ),
            (
                "serviceAccountChangeGroups",
                &self.service_account_change_groups,
            ),
            ("podConnectNamespaces", &self.pod_connect_namespaces),
            ("podConnectSubresources", &self.pod_connect_subresources),
        ] {
            names(field, list)?;
        }
        subject_patterns("roleRefAllowedSubjects", &self.role_ref_allowed_subjects)?;
        subject_patterns("deniedSubjects", &self.denied_subjects)?;
        names(
            "deniedSubjectsAllowedRoles",
            &self.denied_subjects_allowed_roles,
        )?;
        if self.wildcards_in.is_empty() {
            return Err(SettingsError(
                "wildcardsIn: must name at least one field (to switch the rule off, set wildcards: off)".into(),
            ));
        }
        for (i, field) in self.wildcards_in.iter().enumerate() {
            if self.wildcards_in[..i].contains(field) {
                return Err(SettingsError(format!("wildcardsIn[{i}]: duplicate entry")));
            }
        }
        for (i, s) in self.pod_connect_subresources.iter().enumerate() {
            if !matches!(s.as_str(), "exec" | "attach" | "portforward") {
                return Err(SettingsError(format!(
                    "podConnectSubresources[{i}]: must be exec, attach or portforward"
                )));
            }
        }
        Ok(())
    }
}

/// Subject patterns: capped, each with a field, a known kind, no empty glob, none twice.
fn subject_patterns(path: &str, list: &[SubjectPattern]) -> Result<(), SettingsError> {
    capped(path, list.len())?;
    for (i, s) in list.iter().enumerate() {
        if s.kind.is_none() && s.name.is_none() && s.namespace.is_none() {
            return Err(SettingsError(format!(
                "{path}[{i}]: give at least one of kind, name, namespace"
            )));
        }
        if let Some(kind) = &s.kind
            && !SUBJECT_KINDS.contains(&kind.as_str())
        {
            return Err(SettingsError(format!(
                "{path}[{i}].kind: must be one of {}",
                SUBJECT_KINDS.join(", ")
            )));
        }
        for (field, value) in [("name", &s.name), ("namespace", &s.namespace)] {
            if value.as_ref().is_some_and(|v| v.trim().is_empty()) {
                return Err(SettingsError(format!(
                    "{path}[{i}].{field}: must not be empty"
                )));
            }
        }
        if list[..i].contains(s) {
            return Err(SettingsError(format!("{path}[{i}]: duplicate entry")));
        }
    }
    Ok(())
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        self.check().map_err(String::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: serde_json::Value) -> Result<(), String> {
        policy_common::settings::check::<Settings>(v.to_string().as_bytes()).map_err(String::from)
    }

    #[test]
    fn defaults_are_valid() {
        assert!(check(json!({})).is_ok());
        let s = Settings::default();
        assert!(s.role_exemptions.by_prefix("system:foo"));
        assert!(!s.role_exemptions.by_prefix("systemfoo"));
        assert!(!s.role_exemptions.by_prefix("system-foo"));
        assert!(s.role_exemptions.by_name("system:aggregate-to-edit"));
    }

    #[test]
    fn invalid_settings_name_the_path() {
        for (v, path) in [
            (json!({"wildcards": "block"}), "wildcards"),
            (
                json!({"roleExemptions": {"prefixes": [""]}}),
                "roleExemptions.prefixes[0]",
            ),
            (
                json!({"sensitivePermissions": [{"description": "x", "apiGroups": [""], "resources": [], "verbs": ["get"]}]}),
                "sensitivePermissions[0].resources",
            ),
            (
                json!({"additionalSensitivePermissions": [{"description": "", "apiGroups": [""], "resources": ["a"], "verbs": ["get"]}]}),
                "additionalSensitivePermissions[0].description",
            ),
            (
                json!({"roleRefAllowedSubjects": [{}]}),
                "roleRefAllowedSubjects[0]",
            ),
            (
                json!({"podConnectSubresources": ["log"]}),
                "podConnectSubresources[0]",
            ),
            (
                json!({"podConnectNamespaces": [" "]}),
                "podConnectNamespaces[0]",
            ),
            (
                json!({"deniedRoleRefs": {"roleBinding": []}}),
                "deniedRoleRefs",
            ),
            (json!({"unknown": 1}), "unknown field"),
            (
                json!({"roleRefAllowedSubjects": [{"kind": "Robot"}]}),
                "roleRefAllowedSubjects[0].kind: must be one of User, Group, ServiceAccount",
            ),
            (
                json!({"roleExemptions": {"names": ["a", "a"]}}),
                "roleExemptions.names[1]: duplicate entry",
            ),
            (
                json!({"deniedRoleRefs": {"roleBindings": ["x", "x"]}}),
                "deniedRoleRefs.roleBindings[1]: duplicate entry",
            ),
            (
                json!({"sensitivePermissions": vec![json!({"description": "d", "apiGroups": [""], "resources": ["a"], "verbs": ["get"]}); 50_000]}),
                "sensitivePermissions: at most 1000 entries, got 50000",
            ),
            (
                json!({"additionalSensitivePermissions": [{"description": "d", "apiGroups": [""], "resources": ["a", "a"], "verbs": ["get"]}]}),
                "additionalSensitivePermissions[0].resources[1]: duplicate entry",
            ),
            (
                json!({"missingRole": 1}),
                "missingRole: invalid type: integer `1`, expected one of deny, warn or off",
            ),
        ] {
            let err = check(v).unwrap_err();
            assert!(err.starts_with(path) || err.contains(path), "{err}");
        }
    }
}
