//! The Kubernetes API's built-in kinds and the resources they are served as: what an
//! AdmissionRequest's `kind` and `resource` say for an object. `kwhost scaffold
//! admission-request` builds requests with it; a kind it does not know is an error, never a
//! guess at a plural.

use thiserror::Error;

/// One kind of the API: its group, the resource (plural) it is served as, and its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKind {
    pub group: &'static str,
    pub kind: &'static str,
    pub resource: &'static str,
    pub namespaced: bool,
}

/// An object's `apiVersion` split: `apps/v1` is (`apps`, `v1`), `v1` is (``, `v1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupVersion {
    pub group: String,
    pub version: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum KindError {
    #[error("apiVersion {0:?} is not `version` or `group/version`")]
    BadApiVersion(String),
    #[error(
        "unknown kind {kind:?} in group {group:?}: not a built-in Kubernetes kind (custom resources are not guessed)"
    )]
    Unknown { group: String, kind: String },
}

impl GroupVersion {
    pub fn parse(api_version: &str) -> Result<Self, KindError> {
        let bad = || KindError::BadApiVersion(api_version.to_owned());
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) if !group.is_empty() => (group, version),
            Some(_) => return Err(bad()),
            None => ("", api_version),
        };
        if version.is_empty() || version.contains('/') || version.contains(char::is_whitespace) {
            return Err(bad());
        }
        Ok(Self {
            group: group.to_owned(),
            version: version.to_owned(),
        })
    }
}

const fn namespaced(group: &'static str, kind: &'static str, resource: &'static str) -> ApiKind {
    ApiKind {
        group,
        kind,
        resource,
        namespaced: true,
    }
}

const fn cluster(group: &'static str, kind: &'static str, resource: &'static str) -> ApiKind {
    ApiKind {
        group,
        kind,
        resource,
        namespaced: false,
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";

/// The built-in kinds a cluster dump holds (Kubernetes 1.30+ API groups).
pub const BUILT_IN: &[ApiKind] = &[
    namespaced("", "Pod", "pods"),
    namespaced("", "PodTemplate", "podtemplates"),
    namespaced("", "ReplicationController", "replicationcontrollers"),
    namespaced("", "Service", "services"),
    namespaced("", "Endpoints", "endpoints"),
    namespaced("", "ConfigMap", "configmaps"),
    namespaced("", "Secret", "secrets"),
    namespaced("", "ServiceAccount", "serviceaccounts"),
    namespaced("", "PersistentVolumeClaim", "persistentvolumeclaims"),
    namespaced("", "LimitRange", "limitranges"),
    namespaced("", "ResourceQuota", "resourcequotas"),
    namespaced("", "Event", "events"),
    cluster("", "Namespace", "namespaces"),
    cluster("", "Node", "nodes"),
    cluster("", "PersistentVolume", "persistentvolumes"),
    namespaced("apps", "Deployment", "deployments"),
    namespaced("apps", "StatefulSet", "statefulsets"),
    namespaced("apps", "DaemonSet", "daemonsets"),
    namespaced("apps", "ReplicaSet", "replicasets"),
    namespaced("apps", "ControllerRevision", "controllerrevisions"),
    namespaced("batch", "Job", "jobs"),
    namespaced("batch", "CronJob", "cronjobs"),
    namespaced(
        "autoscaling",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
    ),
    namespaced("policy", "PodDisruptionBudget", "poddisruptionbudgets"),
    namespaced("networking.k8s.io", "Ingress", "ingresses"),
    namespaced("networking.k8s.io", "NetworkPolicy", "networkpolicies"),
    cluster("networking.k8s.io", "IngressClass", "ingressclasses"),
    namespaced("discovery.k8s.io", "EndpointSlice", "endpointslices"),
    namespaced("coordination.k8s.io", "Lease", "leases"),
    namespaced("events.k8s.io", "Event", "events"),
    namespaced(RBAC, "Role", "roles"),
    namespaced(RBAC, "RoleBinding", "rolebindings"),
    cluster(RBAC, "ClusterRole", "clusterroles"),
    cluster(RBAC, "ClusterRoleBinding", "clusterrolebindings"),
    cluster("storage.k8s.io", "StorageClass", "storageclasses"),
    cluster("storage.k8s.io", "CSIDriver", "csidrivers"),
    cluster("storage.k8s.io", "CSINode", "csinodes"),
    cluster("storage.k8s.io", "VolumeAttachment", "volumeattachments"),
    namespaced(
        "storage.k8s.io",
        "CSIStorageCapacity",
        "csistoragecapacities",
    ),
    cluster("scheduling.k8s.io", "PriorityClass", "priorityclasses"),
    cluster("node.k8s.io", "RuntimeClass", "runtimeclasses"),
    cluster(
        "certificates.k8s.io",
        "CertificateSigningRequest",
        "certificatesigningrequests",
    ),
    cluster(
        ADMISSION,
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
    ),
    cluster(
        ADMISSION,
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
    ),
    cluster(
        ADMISSION,
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
    ),
    cluster(
        ADMISSION,
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
    ),
    cluster(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "customresourcedefinitions",
    ),
    cluster("apiregistration.k8s.io", "APIService", "apiservices"),
    cluster("flowcontrol.apiserver.k8s.io", "FlowSchema", "flowschemas"),
    cluster(
        "flowcontrol.apiserver.k8s.io",
        "PriorityLevelConfiguration",
        "prioritylevelconfigurations",
    ),
];

/// The kind of an object from its `apiVersion` and `kind`, and its group/version.
pub fn kind_of(api_version: &str, kind: &str) -> Result<(GroupVersion, ApiKind), KindError> {
    let gv = GroupVersion::parse(api_version)?;
    let found = BUILT_IN
        .iter()
        .find(|k| k.group == gv.group && k.kind == kind)
        .copied()
        .ok_or_else(|| KindError::Unknown {
            group: gv.group.clone(),
            kind: kind.to_owned(),
        })?;
    Ok((gv, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_their_resources_and_scope() {
        let (gv, k) = kind_of("apps/v1", "Deployment").unwrap();
        assert_eq!((gv.group.as_str(), gv.version.as_str()), ("apps", "v1"));
        assert_eq!((k.resource, k.namespaced), ("deployments", true));
        let (gv, k) = kind_of("v1", "Namespace").unwrap();
        assert_eq!(gv.group, "");
        assert_eq!((k.resource, k.namespaced), ("namespaces", false));
        let (_, k) = kind_of("rbac.authorization.k8s.io/v1", "ClusterRoleBinding").unwrap();
        assert!(!k.namespaced);
        // The version is the object's: autoscaling/v1 and v2 are both HorizontalPodAutoscalers.
        assert_eq!(
            kind_of("autoscaling/v1", "HorizontalPodAutoscaler")
                .unwrap()
                .0
                .version,
            "v1"
        );
    }

    #[test]
    fn unknown_kinds_and_bad_api_versions_are_errors() {
        assert!(matches!(
            kind_of("example.com/v1", "Widget"),
            Err(KindError::Unknown { .. })
        ));
        // The right kind in the wrong group is not guessed either.
        assert!(matches!(
            kind_of("v1", "Deployment"),
            Err(KindError::Unknown { .. })
        ));
        for bad in ["", "/v1", "apps/", "a/b/c", "apps/v 1"] {
            assert!(
                matches!(kind_of(bad, "Pod"), Err(KindError::BadApiVersion(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_kind_is_listed_once_with_a_lower_case_plural() {
        for (i, k) in BUILT_IN.iter().enumerate() {
            assert!(
                !BUILT_IN[..i]
                    .iter()
                    .any(|o| o.group == k.group && o.kind == k.kind),
                "{k:?} twice"
            );
            assert!(
                k.resource
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
                    && k.resource.ends_with('s'),
                "{k:?}"
            );
        }
    }
}
