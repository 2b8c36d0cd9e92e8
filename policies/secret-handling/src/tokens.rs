//! Service-account tokens, on pods and on ServiceAccount objects.

use crate::pod_ctx::{PodCtx, describe};
use crate::rules::RuleId;
use crate::settings::{ServiceAccountToken, ServiceAccounts};
use policy_common::{Operation, Report};
use serde_json::Value;

const TOKEN_PATHS: [&str; 2] = [
    "/var/run/secrets/kubernetes.io/serviceaccount",
    "/run/secrets/kubernetes.io/serviceaccount",
];

fn under_token_path(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    TOKEN_PATHS
        .iter()
        .any(|t| path == *t || path.strip_prefix(t).is_some_and(|r| r.starts_with('/')))
}

pub fn check_pod(ctx: &PodCtx<'_>, settings: &ServiceAccountToken, report: &mut Report) {
    if settings.skip_update && ctx.operation == Operation::Update {
        return;
    }
    if ctx.pod_level() {
        match ctx.spec.get("automountServiceAccountToken").and_then(Value::as_bool) {
            Some(true) => report.add(
                RuleId::AutomountToken.as_str(),
                settings.automount,
                "automountServiceAccountToken is true; set it to false unless the pod calls the Kubernetes API",
            ),
            Some(false) => {}
            None => report.add(
                RuleId::AutomountTokenUnset.as_str(),
                settings.require_explicit_false,
                "automountServiceAccountToken is not set; set it to false explicitly",
            ),
        }
    }
    if settings.token_path_mount.is_off() {
        return;
    }
    for c in ctx.containers() {
        for (k, mount) in c.array("volumeMounts") {
            if mount
                .get("mountPath")
                .and_then(Value::as_str)
                .is_some_and(under_token_path)
            {
                report.add(
                    RuleId::TokenPathMount.as_str(),
                    settings.token_path_mount,
                    format!(
                        "{}: volumeMounts[{k}] mounts a volume at the service-account token path",
                        describe(&c)
                    ),
                );
            }
        }
    }
}

/// `automount_in_scope`: the ServiceAccount is one `serviceAccounts.automountNames` and
/// `automountNamespaces` select.
pub fn check_service_account(
    object: &Value,
    settings: &ServiceAccounts,
    automount_in_scope: bool,
    report: &mut Report,
) {
    let name = policy_common::redact::value(
        object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or(""),
    );
    if automount_in_scope
        && object
            .get("automountServiceAccountToken")
            .and_then(Value::as_bool)
            != Some(false)
    {
        report.add(
            RuleId::ServiceAccountAutomount.as_str(),
            settings.automount,
            format!("ServiceAccount '{name}': automountServiceAccountToken is not false"),
        );
    }
    let listed = object
        .get("secrets")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if listed > 0 {
        report.add(
            RuleId::ServiceAccountSecrets.as_str(),
            settings.secrets,
            format!("ServiceAccount '{name}' lists {listed} Secret(s) in .secrets (long-lived tokens); use projected tokens"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_paths() {
        assert!(under_token_path(
            "/var/run/secrets/kubernetes.io/serviceaccount"
        ));
        assert!(under_token_path(
            "/var/run/secrets/kubernetes.io/serviceaccount/"
        ));
        assert!(under_token_path(
            "/run/secrets/kubernetes.io/serviceaccount/token"
        ));
        assert!(!under_token_path(
            "/var/run/secrets/kubernetes.io/serviceaccounts"
        ));
        assert!(!under_token_path("/etc/config"));
    }
}
