//! An AdmissionReview built from plain objects (`kubectl get -o yaml`), as the API server
//! would send it to a webhook: what `kwhost scaffold admission-request` writes, and what an
//! offline audit judges.

use k8s_openapi::api::authentication::v1::UserInfo;
use serde_json::{Value, json};
use thiserror::Error;

use crate::admission_request::{AdmissionRequest, GroupVersionKind, GroupVersionResource};
use crate::api_resources::{KindError, kind_of};

/// The operations an AdmissionRequest can be built for from objects alone (CONNECT needs a
/// subresource and connect options, which no object carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
        }
    }

    /// The `options` kind the API server sends with it.
    fn options_kind(self) -> &'static str {
        match self {
            Operation::Create => "CreateOptions",
            Operation::Update => "UpdateOptions",
            Operation::Delete => "DeleteOptions",
        }
    }
}

/// Who sends the request, and the request's identity.
#[derive(Debug, Clone, Default)]
pub struct Requester {
    pub uid: String,
    pub username: String,
    pub groups: Vec<String>,
    /// The namespace of a namespaced object that names none (kubectl's current namespace).
    pub default_namespace: Option<String>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReviewError {
    #[error("{0} is not an object")]
    NotAnObject(&'static str),
    #[error("{which}: {field} is missing or not a string")]
    MissingField {
        which: &'static str,
        field: &'static str,
    },
    #[error("{which}: {source}")]
    Kind {
        which: &'static str,
        source: KindError,
    },
    #[error("{0}")]
    Operation(String),
    #[error(
        "the old object is {old}, the object {new}: an UPDATE changes one object (same apiVersion group, kind, namespace and name)"
    )]
    Mismatch { old: String, new: String },
}

/// Identity of one object: (group, kind, namespace, name) and how it reads in messages.
struct Identity {
    gvk: GroupVersionKind,
    gvr: GroupVersionResource,
    namespace: Option<String>,
    name: String,
}

fn text<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

fn identity(
    which: &'static str,
    object: &Value,
    operation: Operation,
    default_namespace: Option<&str>,
) -> Result<Identity, ReviewError> {
    if !object.is_object() {
        return Err(ReviewError::NotAnObject(which));
    }
    let missing = |field| ReviewError::MissingField { which, field };
    let api_version = text(object, "/apiVersion").ok_or(missing("apiVersion"))?;
    let kind = text(object, "/kind").ok_or(missing("kind"))?;
    let (gv, api_kind) =
        kind_of(api_version, kind).map_err(|source| ReviewError::Kind { which, source })?;
    // A CREATE may leave the name to the API server (metadata.generateName).
    let name = match text(object, "/metadata/name") {
        Some(name) => name.to_owned(),
        None if operation == Operation::Create
            && text(object, "/metadata/generateName").is_some() =>
        {
            String::new()
        }
        None => return Err(missing("metadata.name")),
    };
    let namespace = match (api_kind.namespaced, text(object, "/metadata/namespace")) {
        (true, Some(ns)) => Some(ns.to_owned()),
        (true, None) => Some(default_namespace.unwrap_or("default").to_owned()),
        (false, None) => None,
        (false, Some(_)) => {
            return Err(ReviewError::Operation(format!(
                "{which}: {kind} is cluster-scoped and cannot have metadata.namespace"
            )));
        }
    };
    Ok(Identity {
        gvk: GroupVersionKind {
            group: gv.group.clone(),
            version: gv.version.clone(),
            kind: kind.to_owned(),
        },
        gvr: GroupVersionResource {
            group: gv.group,
            version: gv.version,
            resource: api_kind.resource.to_owned(),
        },
        namespace,
        name,
    })
}

fn describe(id: &Identity) -> String {
    let group = if id.gvk.group.is_empty() {
        "core"
    } else {
        &id.gvk.group
    };
    match &id.namespace {
        Some(ns) => format!("{group} {} {ns}/{}", id.gvk.kind, id.name),
        None => format!("{group} {} {}", id.gvk.kind, id.name),
    }
}

/// The AdmissionReview (`admission.k8s.io/v1`) for `operation` on `object`; `old_object` is
/// the stored object an UPDATE replaces. A DELETE sends the object as `oldObject` and no
/// `object`, as the API server does.
pub fn admission_review(
    operation: Operation,
    object: &Value,
    old_object: Option<&Value>,
    requester: &Requester,
) -> Result<Value, ReviewError> {
    let default_ns = requester.default_namespace.as_deref();
    let id = identity("object", object, operation, default_ns)?;
    let (object, old_object) = match (operation, old_object) {
        (Operation::Create, None) => (Some(object.clone()), None),
        (Operation::Delete, None) => (None, Some(object.clone())),
        (Operation::Update, Some(old)) => {
            let old_id = identity("old object", old, operation, default_ns)?;
            let same = old_id.gvk.group == id.gvk.group
                && old_id.gvk.kind == id.gvk.kind
                && old_id.namespace == id.namespace
                && old_id.name == id.name;
            if !same {
                return Err(ReviewError::Mismatch {
                    old: describe(&old_id),
                    new: describe(&id),
                });
            }
            (Some(object.clone()), Some(old.clone()))
        }
        (Operation::Update, None) => {
            return Err(ReviewError::Operation(
                "UPDATE needs the old object too (--old-object)".to_owned(),
            ));
        }
        (op, Some(_)) => {
            return Err(ReviewError::Operation(format!(
                "{} takes no old object (only UPDATE does)",
                op.as_str()
            )));
        }
    };
    let request = AdmissionRequest {
        uid: requester.uid.clone(),
        kind: id.gvk.clone(),
        resource: id.gvr.clone(),
        sub_resource: None,
        request_kind: Some(id.gvk),
        request_resource: Some(id.gvr),
        request_sub_resource: None,
        name: Some(id.name),
        namespace: id.namespace,
        operation: operation.as_str().to_owned(),
        user_info: UserInfo {
            username: Some(requester.username.clone()),
            groups: Some(requester.groups.clone()),
            ..UserInfo::default()
        },
        object,
        old_object,
        dry_run: Some(false),
        options: Some(json!({
            "apiVersion": "meta.k8s.io/v1",
            "kind": operation.options_kind(),
        })),
    };
    Ok(json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": serde_json::to_value(request).expect("a request always serialises"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission_request::normalise;

    fn requester() -> Requester {
        Requester {
            uid: "u1".into(),
            username: "alice".into(),
            groups: vec!["system:authenticated".into()],
            default_namespace: None,
        }
    }

    fn deployment(name: &str, replicas: u32) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": name, "namespace": "team-a"}, "spec": {"replicas": replicas}})
    }

    #[test]
    fn create_update_and_delete_requests() {
        let new = deployment("web", 3);
        let review = admission_review(Operation::Create, &new, None, &requester()).unwrap();
        let r = &review["request"];
        assert_eq!(
            r["kind"],
            json!({"group": "apps", "version": "v1", "kind": "Deployment"})
        );
        assert_eq!(r["resource"]["resource"], "deployments");
        assert_eq!(
            (r["namespace"].as_str(), r["name"].as_str()),
            (Some("team-a"), Some("web"))
        );
        assert_eq!(r["options"]["kind"], "CreateOptions");
        assert!(r.get("oldObject").is_none());
        // What the host reads back is what it would read from a hand-written fixture.
        normalise(review.clone(), "scaffolded").unwrap();

        let old = deployment("web", 1);
        let review = admission_review(Operation::Update, &new, Some(&old), &requester()).unwrap();
        assert_eq!(review["request"]["oldObject"], old);
        assert_eq!(review["request"]["options"]["kind"], "UpdateOptions");

        let review = admission_review(Operation::Delete, &new, None, &requester()).unwrap();
        assert_eq!(review["request"]["oldObject"], new);
        assert!(review["request"].get("object").is_none());
    }

    #[test]
    fn scope_names_and_namespaces() {
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}});
        let review = admission_review(Operation::Create, &ns, None, &requester()).unwrap();
        assert!(review["request"].get("namespace").is_none());
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"}});
        let mut who = requester();
        who.default_namespace = Some("dev".into());
        let review = admission_review(Operation::Create, &pod, None, &who).unwrap();
        assert_eq!(review["request"]["namespace"], "dev");
        assert_eq!(review["request"]["name"], "");
        let bad = json!({"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"name": "x", "namespace": "y"}});
        assert!(admission_review(Operation::Create, &bad, None, &who).is_err());
    }

    #[test]
    fn what_cannot_be_built_is_an_error() {
        let new = deployment("web", 3);
        let who = requester();
        let err = |op, object: &Value, old: Option<&Value>| {
            admission_review(op, object, old, &who)
                .unwrap_err()
                .to_string()
        };
        assert!(err(Operation::Update, &new, None).contains("--old-object"));
        assert!(err(Operation::Create, &new, Some(&new)).contains("only UPDATE"));
        assert!(err(Operation::Update, &new, Some(&deployment("api", 1))).contains("same"));
        assert!(err(Operation::Create, &json!([1]), None).contains("not an object"));
        assert!(
            err(
                Operation::Create,
                &json!({"apiVersion": "v1", "kind": "Pod"}),
                None
            )
            .contains("metadata.name")
        );
        assert!(
            err(
                Operation::Create,
                &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}),
                None
            )
            .contains("unknown kind")
        );
    }
}
