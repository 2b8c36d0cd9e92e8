//! The offline audit: what would these policies say about what is already in the cluster? Every
//! object of a dump is judged as a CREATE by every policy that selects it (its rules, an
//! AdmissionPolicy's namespace, `namespaceSelector` and `objectSelector` read against the dump),
//! with the same modules the policy-server runs, on pooled instances spread over the cores. The
//! dump is the world of context-aware policies; a capability the dump (and `--world`) cannot
//! answer makes the result an `error`, never a `pass`.
//!
//! - [`policy_set`]: the policies, from module folders, `policies.yml` or policy manifests;
//! - `judge`: one object against every policy;
//! - [`report`]: the results as a table, JSON, JUnit, PolicyReports or an HTML page.

mod judge;
pub mod policy_set;
pub mod report;

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::Arc;

use kwhost_suite::dump::Dump;
use serde_json::Value;

use crate::capabilities::World;
use crate::model::runner::parallel_map;
pub use policy_set::{AuditedPolicy, ModuleDirs};

/// The verdict of one policy on one resource: the `result` values of wgpolicyk8s.io reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
    Error,
    Skip,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [
        Verdict::Pass,
        Verdict::Warn,
        Verdict::Fail,
        Verdict::Error,
        Verdict::Skip,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
            Verdict::Skip => "skip",
        }
    }
}

/// The object a result is about, as a PolicyReport's `scope` names it. Every field comes from
/// the dump and has been through the redaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditResult {
    /// `Kind namespace/name`, or the origin in the dump when the object cannot be named.
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Empty when no policy could judge the resource (an unknown kind, a malformed object).
    pub policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub verdict: Verdict,
    /// Set for a policy in monitor mode, whose `fail` would not deny.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub monitor: bool,
    pub message: String,
    /// `None` when the object cannot be named (it has no PolicyReport).
    #[serde(skip)]
    pub subject: Option<Subject>,
}

/// Judges every object of `dump` with `policies`. `world` answers what the dump cannot
/// (image digests, signatures); `progress` is told of each object judged.
pub fn run(
    dump: &Dump,
    policies: &[AuditedPolicy],
    mut world: World,
    jobs: NonZeroUsize,
    progress: &(dyn Fn() + Sync),
) -> Vec<AuditResult> {
    world.add_objects(dump.objects.iter().map(|o| o.object.clone()).collect());
    let world = Arc::new(world);
    let namespaces = namespace_labels(dump);
    let mut results: Vec<AuditResult> = dump
        .problems
        .iter()
        .map(|p| AuditResult {
            resource: policy_common::redact::value(&p.origin),
            namespace: None,
            policy: String::new(),
            rule: None,
            verdict: Verdict::Error,
            monitor: false,
            message: policy_common::redact::value(&p.message),
            subject: None,
        })
        .collect();
    let judge = judge::Judge {
        policies,
        world: &world,
        namespaces: &namespaces,
    };
    results.extend(
        parallel_map(&dump.objects, jobs, |o| {
            let results = judge.object(&o.object, &o.origin);
            progress();
            results
        })
        .into_iter()
        .flatten(),
    );
    results
}

/// The labels of every Namespace of the dump, with `kubernetes.io/metadata.name`, which the
/// API server sets on every namespace.
fn namespace_labels(dump: &Dump) -> BTreeMap<String, Value> {
    dump.objects
        .iter()
        .filter(|o| {
            o.object.get("apiVersion").and_then(Value::as_str) == Some("v1")
                && o.object.get("kind").and_then(Value::as_str) == Some("Namespace")
        })
        .filter_map(|o| {
            let name = o.object.pointer("/metadata/name")?.as_str()?;
            Some((name.to_owned(), judge::labels_of_namespace(name, &o.object)))
        })
        .collect()
}
