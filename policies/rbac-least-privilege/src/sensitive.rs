//! Sensitive permissions: their settings entry, and the built-in lists (escalation targets,
//! fixed, and the default of `sensitivePermissions`).

use policy_common::settings::SettingsError;
use serde::Deserialize;

/// One sensitive permission: any overlap with a rule is a finding.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Permission {
    /// Why it is sensitive, used in messages.
    pub description: String,
    pub api_groups: Vec<String>,
    /// `res`, `res/sub`, `res/*` (any subresource of res), `*/sub` or `*`.
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
}

impl Permission {
    /// Checks the entry at `field` (`sensitivePermissions[i]`) of the settings.
    pub(crate) fn validate(&self, field: &str) -> Result<(), SettingsError> {
        if self.description.trim().is_empty() {
            return Err(SettingsError(format!(
                "{field}.description: must not be empty"
            )));
        }
        for (list, entries) in [
            ("apiGroups", &self.api_groups),
            ("resources", &self.resources),
            ("verbs", &self.verbs),
        ] {
            if entries.is_empty() {
                return Err(SettingsError(format!("{field}.{list}: must not be empty")));
            }
            policy_common::settings::capped(&format!("{field}.{list}"), entries.len())?;
            if let Some(i) = (1..entries.len()).find(|&i| entries[..i].contains(&entries[i])) {
                return Err(SettingsError(format!(
                    "{field}.{list}[{i}]: duplicate entry"
                )));
            }
            // "" is the core group, so only resources and verbs refuse empty entries.
            let blank = entries.iter().position(|e| e.trim().is_empty());
            if let (true, Some(i)) = (list != "apiGroups", blank) {
                return Err(SettingsError(format!(
                    "{field}.{list}[{i}]: must not be empty"
                )));
            }
        }
        Ok(())
    }
}

fn perm(description: &str, groups: &[&str], resources: &[&str], verbs: &[&str]) -> Permission {
    let own = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
    Permission {
        description: description.to_string(),
        api_groups: own(groups),
        resources: own(resources),
        verbs: own(verbs),
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";
const WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

/// Verbs that let the holder gain permissions it does not have.
pub fn escalation_targets() -> Vec<Permission> {
    vec![
        perm(
            "escalate lets it create or update roles with permissions it does not hold",
            &[RBAC],
            &["roles", "clusterroles"],
            &["escalate"],
        ),
        perm(
            "bind lets it bind roles with permissions it does not hold",
            &[RBAC],
            &["roles", "clusterroles"],
            &["bind"],
        ),
        perm(
            "impersonate lets it act as any user, group or service account",
            &[""],
            &["users", "groups", "serviceaccounts"],
            &["impersonate"],
        ),
        perm(
            "impersonate lets it act with any uid or user extra",
            &["authentication.k8s.io"],
            &["uids", "userextras/*"],
            &["impersonate"],
        ),
    ]
}

/// Default sensitive permissions. tokenreviews and subjectaccessreviews are not here: add them
/// with `additionalSensitivePermissions` where they matter.
pub fn defaults() -> Vec<Permission> {
    vec![
        perm(
            "read of secrets",
            &[""],
            &["secrets"],
            &["get", "list", "watch"],
        ),
        perm("exec into pods", &[""], &["pods/exec"], &["create", "get"]),
        perm(
            "attach to pods",
            &[""],
            &["pods/attach"],
            &["create", "get"],
        ),
        perm(
            "port-forward to pods",
            &[""],
            &["pods/portforward"],
            &["create", "get"],
        ),
        perm(
            "kubelet API access through nodes/proxy",
            &[""],
            &["nodes/proxy"],
            &["*"],
        ),
        perm(
            "minting service account tokens",
            &[""],
            &["serviceaccounts/token"],
            &["create"],
        ),
        perm(
            "approving certificate signing requests",
            &["certificates.k8s.io"],
            &["certificatesigningrequests/approval"],
            &["update", "patch"],
        ),
        perm(
            "approving certificates for a signer",
            &["certificates.k8s.io"],
            &["signers"],
            &["approve"],
        ),
        perm(
            "writing admission webhook configurations",
            &["admissionregistration.k8s.io"],
            &[
                "validatingwebhookconfigurations",
                "mutatingwebhookconfigurations",
            ],
            WRITE,
        ),
        perm(
            "creating pods (hostPath and privileged escape)",
            &[""],
            &["pods"],
            &["create"],
        ),
        perm(
            "creating persistentvolumes (hostPath escape)",
            &[""],
            &["persistentvolumes"],
            &["create"],
        ),
    ]
}
