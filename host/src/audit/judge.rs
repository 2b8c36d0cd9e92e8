//! One object of the dump against every policy: which policies select it (rules, namespace,
//! selectors, as the API server calls a webhook), the CREATE they are asked, and the verdict.

use std::collections::BTreeMap;
use std::sync::Arc;

use kwhost_artifact::metadata::{Operation as RuleOperation, RequestedResource};
use kwhost_suite::admission_request::redact_quoted_values;
use kwhost_suite::api_resources::{ApiKind, kind_of};
use kwhost_suite::review::{Operation, Requester, admission_review};
use policy_common::json::str_at;
use policy_common::redact;
use policy_common::selector::LabelSelector;
use serde_json::{Value, json};

use super::{AuditResult, AuditedPolicy, Subject, Verdict};
use crate::capabilities::{CallbackRequest, CapabilityBackend, RecordingBackend, World};
use crate::evaluation::{Outcome, PolicyOptions, evaluate};
use crate::model::admission_request::{NormalisedRequest, normalise};
use crate::model::admission_response::PolicyMode;

const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A Namespace's labels as the API server keeps them: its own plus its name label.
pub(super) fn labels_of_namespace(name: &str, namespace: &Value) -> Value {
    let mut labels = namespace
        .pointer("/metadata/labels")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    labels[NAMESPACE_NAME_LABEL] = json!(name);
    labels
}

pub(super) struct Judge<'a> {
    pub policies: &'a [AuditedPolicy],
    pub world: &'a Arc<World>,
    /// Labels of the dump's namespaces; one missing from the dump has its name label only.
    pub namespaces: &'a BTreeMap<String, Value>,
}

fn subject_of(object: &Value) -> Option<Subject> {
    let safe = |p: &str| str_at(object, p).map(redact::value);
    Some(Subject {
        api_version: safe("/apiVersion")?,
        kind: safe("/kind")?,
        namespace: safe("/metadata/namespace"),
        name: safe("/metadata/name")?,
        uid: safe("/metadata/uid"),
        resource_version: safe("/metadata/resourceVersion"),
    })
}

/// Why a policy whose rules select the object does not judge it; `None` when it does.
fn not_selected(
    object_selector: Option<&LabelSelector>,
    namespace_selector: Option<&LabelSelector>,
    object: &Value,
    kind: &ApiKind,
    namespace_labels: impl FnOnce() -> Value,
) -> Option<&'static str> {
    if let Some(selector) = object_selector
        && !selector.matches(object.pointer("/metadata/labels"))
    {
        return Some("its objectSelector does not select the object");
    }
    if let Some(selector) = namespace_selector {
        // The API server: a Namespace is matched on its own labels; another cluster-scoped
        // object is never excluded by a namespaceSelector.
        let selected = if kind.namespaced || kind.kind == "Namespace" {
            selector.matches(Some(&namespace_labels()))
        } else {
            true
        };
        if !selected {
            return Some("its namespaceSelector does not select the object's namespace");
        }
    }
    None
}

impl Judge<'_> {
    pub(super) fn object(&self, object: &Value, origin: &str) -> Vec<AuditResult> {
        let subject = subject_of(object);
        let resource = match &subject {
            Some(s) => match &s.namespace {
                Some(ns) => format!("{} {ns}/{}", s.kind, s.name),
                None => format!("{} {}", s.kind, s.name),
            },
            None => redact::value(origin),
        };
        let namespace = subject.as_ref().and_then(|s| s.namespace.clone());
        let result = |policy: &AuditedPolicy, verdict: Verdict, message: String| AuditResult {
            resource: resource.clone(),
            namespace: namespace.clone(),
            policy: policy.name.clone(),
            rule: None,
            verdict,
            monitor: policy.mode == PolicyMode::Monitor,
            message,
            subject: subject.clone(),
        };
        let unjudged = |message: String| {
            vec![AuditResult {
                resource: resource.clone(),
                namespace: namespace.clone(),
                policy: String::new(),
                rule: None,
                verdict: Verdict::Error,
                monitor: false,
                message: format!(
                    "{}: {}",
                    redact::value(origin),
                    redact_quoted_values(&message)
                ),
                subject: subject.clone(),
            }]
        };
        let (gv, kind) = match kind_of(
            str_at(object, "/apiVersion").unwrap_or(""),
            str_at(object, "/kind").unwrap_or(""),
        ) {
            Ok(found) => found,
            Err(e) => return unjudged(e.to_string()),
        };
        let requested = RequestedResource {
            group: &gv.group,
            version: &gv.version,
            resource: kind.resource,
            subresource: None,
            operation: RuleOperation::Create,
        };
        let object_namespace = str_at(object, "/metadata/namespace");
        let namespace_labels = || {
            if kind.kind == "Namespace" {
                return labels_of_namespace(str_at(object, "/metadata/name").unwrap_or(""), object);
            }
            let name = object_namespace.unwrap_or("");
            self.namespaces
                .get(name)
                .cloned()
                .unwrap_or_else(|| json!({ NAMESPACE_NAME_LABEL: name }))
        };
        let selecting: Vec<&AuditedPolicy> = self
            .policies
            .iter()
            .filter(|p| p.rules.iter().any(|r| r.matches(&requested)))
            .filter(|p| match &p.namespace {
                Some(ns) => kind.namespaced && object_namespace == Some(ns.as_str()),
                None => true,
            })
            .collect();
        if selecting.is_empty() {
            return Vec::new();
        }
        let review = match self.review(object, origin) {
            Ok(review) => review,
            Err(message) => return unjudged(message),
        };
        let mut results = Vec::with_capacity(selecting.len());
        for policy in selecting {
            if let Some(why) = not_selected(
                policy.object_selector.as_ref(),
                policy.namespace_selector.as_ref(),
                object,
                &kind,
                namespace_labels,
            ) {
                results.push(result(policy, Verdict::Skip, why.to_owned()));
                continue;
            }
            let (verdict, rule, message) = self.evaluate(policy, &review);
            let mut judged = result(policy, verdict, message);
            judged.rule = rule;
            results.push(judged);
        }
        results
    }

    fn review(&self, object: &Value, origin: &str) -> Result<NormalisedRequest, String> {
        let requester = Requester {
            uid: format!("audit-{origin}"),
            username: "kwhost-audit".to_owned(),
            groups: vec!["system:authenticated".to_owned()],
            default_namespace: None,
        };
        admission_review(Operation::Create, object, None, &requester)
            .map_err(|e| e.to_string())
            .and_then(|review| normalise(review, origin).map_err(|e| e.to_string()))
    }

    /// The verdict, the rule the policy names (its first audit annotation) and the message.
    fn evaluate(
        &self,
        policy: &AuditedPolicy,
        review: &NormalisedRequest,
    ) -> (Verdict, Option<String>, String) {
        let options = PolicyOptions {
            allow_context_aware: true,
            capture_guest_output: true,
            ..PolicyOptions::default()
        };
        let recorder = Arc::new(RecordingBackend::new(self.world.clone()));
        let backend: Arc<dyn CapabilityBackend> = recorder.clone();
        let outcome = evaluate(&policy.policy, &options, backend, &policy.settings, review);
        // A get or list the dump answers "not found" is an answer (the object is not in the
        // cluster); what the dump cannot know (registries, signatures, DNS, authorization) is not.
        let unanswered: Vec<String> = recorder
            .errors()
            .into_iter()
            .filter(|(request, _)| {
                !matches!(
                    request,
                    CallbackRequest::KubernetesGetResource { .. }
                        | CallbackRequest::KubernetesListResourceAll { .. }
                        | CallbackRequest::KubernetesListResourceNamespace { .. }
                )
            })
            .map(|(_, message)| redact::value(&message))
            .collect();
        match outcome {
            Err(e) => (Verdict::Error, None, redact::value(&e.to_string())),
            Ok(Outcome::InvalidSettings(message)) => (
                Verdict::Error,
                None,
                format!("settings not valid: {message}"),
            ),
            Ok(Outcome::Response(_)) if !unanswered.is_empty() => (
                Verdict::Error,
                None,
                format!(
                    "the dump cannot answer the policy's host capability calls (give them with --world): {}",
                    unanswered.join("; ")
                ),
            ),
            Ok(Outcome::Response(response)) => {
                let rule = response
                    .audit_annotations
                    .as_ref()
                    .and_then(|a| a.keys().next().cloned());
                let warnings = response.warnings.clone().unwrap_or_default();
                if !response.allowed {
                    let message = response
                        .status
                        .as_ref()
                        .and_then(|s| s.message.clone())
                        .unwrap_or_default();
                    (Verdict::Fail, rule, message)
                } else if !warnings.is_empty() {
                    (Verdict::Warn, rule, warnings.join("; "))
                } else {
                    (Verdict::Pass, rule, String::new())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(yaml: &str) -> LabelSelector {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn kind(api_version: &str, kind: &str) -> ApiKind {
        kind_of(api_version, kind).unwrap().1
    }

    #[test]
    fn object_selector_reads_the_object_labels() {
        let only_web = selector("matchLabels: {app: web}");
        let web = json!({"metadata": {"name": "w", "labels": {"app": "web"}}});
        let db = json!({"metadata": {"name": "d", "labels": {"app": "db"}}});
        let none = || json!({});
        let pod = kind("v1", "Pod");
        assert_eq!(not_selected(Some(&only_web), None, &web, &pod, none), None);
        assert!(not_selected(Some(&only_web), None, &db, &pod, none).is_some());
        // An object without labels is not selected by a selector that wants one.
        assert!(not_selected(Some(&only_web), None, &json!({}), &pod, none).is_some());
    }

    #[test]
    fn namespace_selector_follows_the_api_server() {
        let not_system = selector(
            "matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}]",
        );
        let object = json!({"metadata": {"name": "x"}});
        let system = || labels_of_namespace("kube-system", &json!({}));
        let team =
            || labels_of_namespace("team-a", &json!({"metadata": {"labels": {"env": "prod"}}}));
        let pod = kind("v1", "Pod");
        assert!(not_selected(None, Some(&not_system), &object, &pod, system).is_some());
        assert_eq!(
            not_selected(None, Some(&not_system), &object, &pod, team),
            None
        );
        // A cluster-scoped object other than a Namespace is never excluded ...
        let role = kind("rbac.authorization.k8s.io/v1", "ClusterRole");
        assert_eq!(
            not_selected(None, Some(&not_system), &object, &role, system),
            None
        );
        // ... and a Namespace is matched on its own labels.
        let namespace = kind("v1", "Namespace");
        assert!(not_selected(None, Some(&not_system), &object, &namespace, system).is_some());
        let prod = selector("matchLabels: {env: prod}");
        assert_eq!(not_selected(None, Some(&prod), &object, &pod, team), None);
    }

    #[test]
    fn a_namespace_keeps_its_labels_and_gets_its_name_label() {
        let labels = labels_of_namespace("a", &json!({"metadata": {"labels": {"env": "dev"}}}));
        assert_eq!(
            labels,
            json!({"env": "dev", "kubernetes.io/metadata.name": "a"})
        );
        // Labels that are not an object are not labels.
        let labels = labels_of_namespace("b", &json!({"metadata": {"labels": "x"}}));
        assert_eq!(labels, json!({"kubernetes.io/metadata.name": "b"}));
    }
}
