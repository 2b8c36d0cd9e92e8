//! Where the PodSpec lives in every workload kind, and iteration over its containers.

use serde_json::Value;

use crate::shape::{self, Malformed};

/// A Kubernetes kind that carries a pod template (or is a Pod).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    ReplicationController,
    PodTemplate,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 9] = [
        WorkloadKind::Pod,
        WorkloadKind::Deployment,
        WorkloadKind::ReplicaSet,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
        WorkloadKind::ReplicationController,
        WorkloadKind::PodTemplate,
    ];

    /// The kind by its API group and name. The group is checked so that a custom resource that
    /// happens to be called `Deployment` is not mistaken for the apps/v1 one.
    pub fn from_group_kind(group: &str, kind: &str) -> Option<Self> {
        let k = Self::from_kind(kind)?;
        (k.group() == group).then_some(k)
    }

    /// The kind by name alone (settings keys, messages).
    pub fn from_kind(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::PodTemplate => "PodTemplate",
        }
    }

    pub fn group(self) -> &'static str {
        match self {
            WorkloadKind::Pod | WorkloadKind::ReplicationController | WorkloadKind::PodTemplate => {
                ""
            }
            WorkloadKind::Deployment
            | WorkloadKind::ReplicaSet
            | WorkloadKind::StatefulSet
            | WorkloadKind::DaemonSet => "apps",
            WorkloadKind::Job | WorkloadKind::CronJob => "batch",
        }
    }

    /// JSON pointer of the pod template's metadata (the Pod's own metadata for a Pod).
    pub fn pod_metadata_pointer(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "/metadata",
            WorkloadKind::PodTemplate => "/template/metadata",
            WorkloadKind::CronJob => "/spec/jobTemplate/spec/template/metadata",
            _ => "/spec/template/metadata",
        }
    }

    /// JSON pointer of the PodSpec inside an object of this kind.
    pub fn pod_spec_pointer(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "/spec",
            WorkloadKind::PodTemplate => "/template/spec",
            WorkloadKind::CronJob => "/spec/jobTemplate/spec/template/spec",
            _ => "/spec/template/spec",
        }
    }

    /// JSON pointer of the JobSpec for Jobs and CronJobs.
    pub fn job_spec_pointer(self) -> Option<&'static str> {
        match self {
            WorkloadKind::Job => Some("/spec"),
            WorkloadKind::CronJob => Some("/spec/jobTemplate/spec"),
            _ => None,
        }
    }

    /// Pods run to completion under a Job (directly or through a CronJob).
    pub fn runs_job_pods(self) -> bool {
        matches!(self, WorkloadKind::Job | WorkloadKind::CronJob)
    }
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A PodSpec found inside an admitted object.
#[derive(Clone, Copy, Debug)]
pub struct PodSpec<'a> {
    pub kind: WorkloadKind,
    /// JSON pointer of `spec` inside the object, for messages and patches.
    pub pointer: &'static str,
    pub spec: &'a Value,
}

impl<'a> PodSpec<'a> {
    /// The PodSpec of `object`, an object of `kind`. `None` when the object has none (a
    /// Deployment without template, a scale subresource, a DELETE with no object).
    pub fn find(kind: WorkloadKind, object: &'a Value) -> Option<Self> {
        let pointer = kind.pod_spec_pointer();
        let spec = object.pointer(pointer).filter(|s| s.is_object())?;
        Some(PodSpec {
            kind,
            pointer,
            spec,
        })
    }

    /// The PodSpec of `object`, failing closed: `Err` when the spec, a step on the way to it, a
    /// container list or a container is present with the wrong type; `Ok(None)` when the object
    /// has no spec (a Deployment without template, a scale subresource).
    pub fn locate(kind: WorkloadKind, object: &'a Value) -> Result<Option<Self>, Malformed> {
        let pointer = kind.pod_spec_pointer();
        let spec = match shape::at(object, pointer)? {
            None => return Ok(None),
            Some(spec) if spec.is_object() => spec,
            Some(_) => return Err(Malformed::new(pointer, "an object")),
        };
        for list in ContainerKind::ALL {
            shape::object_list(object, &format!("{pointer}/{}", list.field()))?;
        }
        Ok(Some(PodSpec {
            kind,
            pointer,
            spec,
        }))
    }

    /// A field of the PodSpec.
    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.spec.get(field)
    }

    /// Pointer of a PodSpec field, e.g. `/spec/template/spec/volumes`.
    pub fn field_pointer(&self, field: &str) -> String {
        format!("{}/{}", self.pointer, crate::json::escape_token(field))
    }

    /// All containers: regular, then init, then ephemeral.
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + 'a {
        let spec = self.spec;
        let pointer = self.pointer;
        ContainerKind::ALL.into_iter().flat_map(move |kind| {
            spec.get(kind.field())
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .map(move |(index, value)| Container {
                    kind,
                    index,
                    value,
                    spec_pointer: pointer,
                })
        })
    }

    /// `volumes[]` with their index.
    pub fn volumes(&self) -> impl Iterator<Item = (usize, &'a Value)> + 'a {
        self.spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
    }
}

/// The three lists of containers in a PodSpec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    Container,
    InitContainer,
    EphemeralContainer,
}

impl ContainerKind {
    pub const ALL: [ContainerKind; 3] = [
        ContainerKind::Container,
        ContainerKind::InitContainer,
        ContainerKind::EphemeralContainer,
    ];

    /// The PodSpec field holding this list.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::InitContainer => "initContainers",
            ContainerKind::EphemeralContainer => "ephemeralContainers",
        }
    }

    /// How messages name a container of this list.
    pub fn label(self) -> &'static str {
        match self {
            ContainerKind::Container => "container",
            ContainerKind::InitContainer => "init container",
            ContainerKind::EphemeralContainer => "ephemeral container",
        }
    }
}

/// One container of a PodSpec.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    pub kind: ContainerKind,
    pub index: usize,
    pub value: &'a Value,
    spec_pointer: &'static str,
}

impl<'a> Container<'a> {
    pub fn name(&self) -> &'a str {
        self.value.get("name").and_then(Value::as_str).unwrap_or("")
    }

    pub fn image(&self) -> Option<&'a str> {
        self.value.get("image").and_then(Value::as_str)
    }

    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.value.get(field)
    }

    /// An array field of the container (`env`, `envFrom`, `args`, ...), empty when absent.
    pub fn array(&self, field: &str) -> impl Iterator<Item = (usize, &'a Value)> + 'a {
        self.value
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
    }

    /// JSON pointer of the container, e.g. `/spec/initContainers/0`.
    pub fn pointer(&self) -> String {
        format!("{}/{}/{}", self.spec_pointer, self.kind.field(), self.index)
    }

    /// `init container 'setup'`, for messages.
    pub fn describe(&self) -> String {
        format!("{} '{}'", self.kind.label(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod_spec() -> Value {
        json!({
            "containers": [{"name": "app", "image": "nginx"}, {"name": "side", "image": "envoy"}],
            "initContainers": [{"name": "init", "image": "busybox"}],
            "ephemeralContainers": [{"name": "debug", "image": "alpine"}]
        })
    }

    #[test]
    fn finds_the_pod_spec_of_every_kind() {
        let spec = pod_spec();
        for kind in WorkloadKind::ALL {
            let mut object = json!({});
            crate::json::set(&mut object, kind.pod_spec_pointer(), spec.clone());
            let found = PodSpec::find(kind, &object).expect("spec found");
            assert_eq!(found.spec, &spec, "{kind}");
            let names: Vec<_> = found.containers().map(|c| c.name()).collect();
            assert_eq!(names, ["app", "side", "init", "debug"], "{kind}");
        }
    }

    #[test]
    fn cronjob_pointer_is_nested_in_the_job_template() {
        assert_eq!(
            WorkloadKind::CronJob.pod_spec_pointer(),
            "/spec/jobTemplate/spec/template/spec"
        );
        assert_eq!(
            WorkloadKind::CronJob.job_spec_pointer(),
            Some("/spec/jobTemplate/spec")
        );
        assert!(WorkloadKind::CronJob.runs_job_pods());
        assert!(!WorkloadKind::Deployment.runs_job_pods());
    }

    #[test]
    fn group_is_checked() {
        assert_eq!(
            WorkloadKind::from_group_kind("apps", "Deployment"),
            Some(WorkloadKind::Deployment)
        );
        assert_eq!(
            WorkloadKind::from_group_kind("example.com", "Deployment"),
            None
        );
        assert_eq!(
            WorkloadKind::from_group_kind("", "Pod"),
            Some(WorkloadKind::Pod)
        );
        assert_eq!(WorkloadKind::from_group_kind("batch", "Pod"), None);
    }

    #[test]
    fn container_pointers_and_descriptions() {
        let object = json!({"spec": {"template": {"spec": pod_spec()}}});
        let spec = PodSpec::find(WorkloadKind::Deployment, &object).unwrap();
        let all: Vec<_> = spec.containers().collect();
        assert_eq!(all[2].pointer(), "/spec/template/spec/initContainers/0");
        assert_eq!(all[2].describe(), "init container 'init'");
        assert_eq!(all[3].describe(), "ephemeral container 'debug'");
        assert_eq!(all[1].image(), Some("envoy"));
    }

    #[test]
    fn missing_or_malformed_spec_is_none() {
        assert!(PodSpec::find(WorkloadKind::Deployment, &json!({"spec": {}})).is_none());
        assert!(PodSpec::find(WorkloadKind::Pod, &Value::Null).is_none());
        assert!(PodSpec::find(WorkloadKind::Pod, &json!({"spec": "x"})).is_none());
        let odd = json!({"spec": {"containers": "not-a-list"}});
        assert_eq!(
            PodSpec::find(WorkloadKind::Pod, &odd)
                .unwrap()
                .containers()
                .count(),
            0
        );
    }
}
