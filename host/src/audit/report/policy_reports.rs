//! `wgpolicyk8s.io/v1alpha2` reports as Kubewarden's audit-scanner writes them: one
//! PolicyReport per namespaced resource (in its namespace) and one ClusterPolicyReport per
//! cluster-scoped resource, named by the resource's uid, owned by it, `scope` naming it, a
//! summary of the results and a result per policy (`source: kubewarden`, the policy's unique
//! name, the rule where the policy reports one, severity `info` in monitor mode).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Context, counts};
use crate::audit::{AuditResult, AuditedPolicy, Subject, Verdict};
use crate::model::admission_response::PolicyMode;

/// The resource's uid; a dump without uids gets a stable one derived from the object's name.
fn report_name(subject: &Subject) -> String {
    if let Some(uid) = &subject.uid {
        return uid.clone();
    }
    let digest = Sha256::digest(
        format!(
            "{}/{}/{}/{}",
            subject.api_version,
            subject.kind,
            subject.namespace.as_deref().unwrap_or(""),
            subject.name
        )
        .as_bytes(),
    );
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn result_entry(result: &AuditResult, policy: Option<&AuditedPolicy>, seconds: u64) -> Value {
    let mut entry = Map::new();
    entry.insert("source".into(), json!("kubewarden"));
    let name = policy.map_or(result.policy.as_str(), |p| p.report_name.as_str());
    entry.insert("policy".into(), json!(name));
    if let Some(rule) = &result.rule {
        entry.insert("rule".into(), json!(rule));
    }
    if let Some(category) = policy.and_then(|p| p.category.as_deref()) {
        entry.insert("category".into(), json!(category));
    }
    let severity = match policy {
        Some(p) if p.mode == PolicyMode::Monitor => Some("info"),
        Some(p) => p.severity.as_deref(),
        None => None,
    };
    if let Some(severity) = severity {
        entry.insert("severity".into(), json!(severity));
    }
    entry.insert("timestamp".into(), json!({"seconds": seconds, "nanos": 0}));
    entry.insert("result".into(), json!(result.verdict.as_str()));
    entry.insert("scored".into(), json!(true));
    entry.insert("resourceSelector".into(), json!({}));
    if !result.message.is_empty() {
        entry.insert("message".into(), json!(result.message));
    }
    let mut properties = Map::new();
    if let Some(p) = policy {
        let kind = if p.mutating { "mutating" } else { "validating" };
        properties.insert(kind.into(), json!("true"));
        if p.context_aware {
            properties.insert("context-aware".into(), json!("true"));
        }
    }
    entry.insert("properties".into(), Value::Object(properties));
    Value::Object(entry)
}

fn report(subject: &Subject, results: &[&AuditResult], context: &Context<'_>) -> Value {
    let name = report_name(subject);
    let mut metadata = json!({
        "name": name,
        "labels": {"app.kubernetes.io/managed-by": "kubewarden"},
    });
    let mut scope = json!({
        "apiVersion": subject.api_version,
        "kind": subject.kind,
        "name": subject.name,
    });
    if let Some(ns) = &subject.namespace {
        metadata["namespace"] = json!(ns);
        scope["namespace"] = json!(ns);
    }
    // An owner reference needs the owner's uid: a dump without uids gets reports without owner.
    if let Some(uid) = &subject.uid {
        scope["uid"] = json!(uid);
        metadata["ownerReferences"] = json!([{
            "apiVersion": subject.api_version,
            "kind": subject.kind,
            "name": subject.name,
            "uid": uid,
        }]);
    }
    if let Some(version) = &subject.resource_version {
        scope["resourceVersion"] = json!(version);
    }
    let c = counts(results.iter().copied());
    let mut summary = Map::new();
    for (verdict, n) in Verdict::ALL.iter().zip(c) {
        summary.insert(verdict.as_str().into(), json!(n));
    }
    let entries: Vec<Value> = results
        .iter()
        .map(|r| {
            let policy = context.policies.iter().find(|p| p.name == r.policy);
            result_entry(r, policy, context.generated_at)
        })
        .collect();
    json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": if subject.namespace.is_some() { "PolicyReport" } else { "ClusterPolicyReport" },
        "metadata": metadata,
        "scope": scope,
        "summary": summary,
        "results": entries,
    })
}

/// A YAML stream, one report per judged resource, ordered by namespace, kind and name.
pub(super) fn render(results: &[AuditResult], context: &Context<'_>) -> String {
    // (namespace, kind, name, apiVersion): reports in the order kubectl lists them.
    type Key = (Option<String>, String, String, String);
    let mut by_subject: BTreeMap<Key, (&Subject, Vec<&AuditResult>)> = BTreeMap::new();
    for result in results.iter().filter(|r| !r.policy.is_empty()) {
        let Some(subject) = &result.subject else {
            continue;
        };
        let key = (
            subject.namespace.clone(),
            subject.kind.clone(),
            subject.name.clone(),
            subject.api_version.clone(),
        );
        by_subject
            .entry(key)
            .or_insert_with(|| (subject, Vec::new()))
            .1
            .push(result);
    }
    let mut out = String::new();
    for (subject, results) in by_subject.values() {
        out.push_str("---\n");
        out.push_str(
            &serde_yaml::to_string(&report(subject, results, context)).expect("reports serialise"),
        );
    }
    out
}
