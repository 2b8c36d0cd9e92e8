//! The `io.kubewarden.metadata` custom section, so that hosts (`kwhost`, policy-server) see the
//! contextAwareResources and hostCapabilities of `metadata.yml` without a separate
//! `kwctl annotate` step. A test keeps it equal to `metadata.yml`.

#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
const METADATA_JSON: &[u8] = br#"{"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"apiVersions":["v1"],"resources":["roles","clusterroles","rolebindings","clusterrolebindings"],"operations":["CREATE","UPDATE"]},{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods","replicationcontrollers","podtemplates"],"operations":["CREATE","UPDATE"]},{"apiGroups":["apps"],"apiVersions":["v1"],"resources":["deployments","replicasets","statefulsets","daemonsets"],"operations":["CREATE","UPDATE"]},{"apiGroups":["batch"],"apiVersions":["v1"],"resources":["jobs","cronjobs"],"operations":["CREATE","UPDATE"]},{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods/exec","pods/attach","pods/portforward"],"operations":["CONNECT"]}],"mutating":false,"backgroundAudit":true,"executionMode":"kubewarden-wapc","contextAwareResources":[{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role"},{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole"}],"hostCapabilities":["kubernetes/get_resource"],"annotations":{"io.kubewarden.policy.title":"rbac-least-privilege","io.kubewarden.policy.version":"0.1.0","io.kubewarden.policy.description":"Denies over-broad Roles and ClusterRoles (wildcards, escalation verbs, sensitive permissions, in every equivalent form), dangerous bindings (cluster-admin, anonymous and default-account subjects) and bindings whose referenced role grants too much; guards the ServiceAccount of workloads and pods/exec.","io.kubewarden.policy.author":"Kubewarden-RS developers <dev@kubewarden-rs.example>","io.kubewarden.policy.url":"https://github.com/kubewarden-rs/admission-policies","io.kubewarden.policy.source":"https://github.com/kubewarden-rs/admission-policies","io.kubewarden.policy.license":"Apache-2.0","io.kubewarden.policy.ociUrl":"ghcr.io/kubewarden-rs/policies/rbac-least-privilege","io.kubewarden.policy.severity":"high","io.kubewarden.policy.category":"RBAC","io.artifacthub.displayName":"RBAC least privilege","io.artifacthub.resources":"Role, ClusterRole, RoleBinding, ClusterRoleBinding, Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController, PodTemplate","io.artifacthub.keywords":"rbac, least privilege, wildcard, escalation, impersonate, cluster-admin, context-aware","com.github.release.tag":"rbac-least-privilege/v0.1.0"},"protocolVersion":"v1"}"#;

#[cfg(target_arch = "wasm32")]
#[used]
#[unsafe(link_section = "io.kubewarden.metadata")]
static METADATA: [u8; METADATA_JSON.len()] = {
    let mut out = [0u8; METADATA_JSON.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = METADATA_JSON[i];
        i += 1;
    }
    out
};

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_metadata_matches_metadata_yml() {
        let yml: serde_json::Value =
            serde_yaml::from_str(include_str!("../metadata.yml")).expect("metadata.yml parses");
        let mut expected = yml;
        expected["protocolVersion"] = serde_json::json!("v1");
        let embedded: serde_json::Value = serde_json::from_slice(super::METADATA_JSON).unwrap();
        assert_eq!(
            embedded, expected,
            "regenerate METADATA_JSON from metadata.yml"
        );
    }
}
