//! The exemption block every policy accepts in its settings.

use crate::glob::glob_match;
use crate::request::Request;
use crate::selector::LabelSelector;
use crate::settings::SettingsError;
use serde::Deserialize;

/// Requests that a policy lets through without checking.
///
/// Each list holds exact names or globs (`*`, `?`). A request is exempt when **any** entry
/// matches: its namespace, the object's name, the object's labels, the requesting user or one of
/// the user's groups.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Exemptions {
    pub namespaces: Vec<String>,
    /// Object names (`metadata.name`), e.g. `kube-proxy` or `istio-*`.
    pub names: Vec<String>,
    pub label_selector: Option<LabelSelector>,
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

impl Exemptions {
    pub fn validate(&self, field: &str) -> Result<(), SettingsError> {
        for (list, entries) in [
            ("namespaces", &self.namespaces),
            ("names", &self.names),
            ("users", &self.users),
            ("groups", &self.groups),
        ] {
            crate::settings::names(&format!("{field}.{list}"), entries)?;
        }
        if let Some(selector) = &self.label_selector {
            selector.validate(&format!("{field}.labelSelector"))?;
        }
        Ok(())
    }

    /// Why the request is exempt, or `None` when it must be checked.
    pub fn exempts(&self, request: &Request<'_>) -> Option<String> {
        let any = |patterns: &[String], value: &str| patterns.iter().any(|p| glob_match(p, value));
        let namespace = request.namespace();
        if !namespace.is_empty() && any(&self.namespaces, namespace) {
            return Some(format!("namespace '{namespace}' is exempt"));
        }
        let name = request.name();
        if !name.is_empty() && any(&self.names, name) {
            return Some(format!("object '{name}' is exempt"));
        }
        if let Some(selector) = self.label_selector.as_ref().filter(|s| !s.is_empty())
            && selector.matches(request.labels())
        {
            return Some("object labels are exempt".to_string());
        }
        let user = &request.raw.user_info;
        if !user.username.is_empty() && any(&self.users, &user.username) {
            return Some(format!("user '{}' is exempt", user.username));
        }
        user.groups
            .iter()
            .find(|g| any(&self.groups, g))
            .map(|g| format!("group '{g}' is exempt"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
    use serde_json::json;

    fn request(v: serde_json::Value) -> KubernetesAdmissionRequest {
        serde_json::from_value(v).unwrap()
    }

    fn exemptions(v: serde_json::Value) -> Exemptions {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn each_kind_of_exemption() {
        let raw = request(json!({
            "operation": "CREATE", "namespace": "kube-system", "name": "istio-proxy",
            "userInfo": {"username": "alice", "groups": ["ops", "system:authenticated"]},
            "object": {"metadata": {"name": "istio-proxy", "labels": {"exempt": "yes"}}}
        }));
        let req = Request::new(&raw);
        assert!(Exemptions::default().exempts(&req).is_none());
        for (settings, reason) in [
            (
                json!({"namespaces": ["kube-*"]}),
                "namespace 'kube-system' is exempt",
            ),
            (
                json!({"names": ["istio-*"]}),
                "object 'istio-proxy' is exempt",
            ),
            (
                json!({"labelSelector": {"matchLabels": {"exempt": "yes"}}}),
                "object labels are exempt",
            ),
            (json!({"users": ["alice"]}), "user 'alice' is exempt"),
            (json!({"groups": ["ops"]}), "group 'ops' is exempt"),
        ] {
            assert_eq!(exemptions(settings).exempts(&req).as_deref(), Some(reason));
        }
        assert!(
            exemptions(json!({"namespaces": ["kube"], "names": ["istio"], "users": ["bob"]}))
                .exempts(&req)
                .is_none()
        );
        assert!(
            exemptions(json!({"labelSelector": {}}))
                .exempts(&req)
                .is_none(),
            "empty selector exempts nothing"
        );
    }

    #[test]
    fn validation() {
        assert!(
            exemptions(json!({"namespaces": [""]}))
                .validate("exemptions")
                .unwrap_err()
                .0
                .contains("exemptions.namespaces[0]")
        );
        assert!(
            serde_json::from_value::<Exemptions>(json!({"namespace": ["x"]})).is_err(),
            "typos are refused"
        );
        assert!(Exemptions::default().validate("exemptions").is_ok());
    }
}
