//! The audit's results as a terminal table with summaries, JSON, JUnit, wgpolicyk8s.io
//! PolicyReports, or one self-contained HTML page. Every string in them comes from the results,
//! which hold only redacted values.

mod html;
mod policy_reports;
mod table;

use std::collections::BTreeMap;

use super::{AuditResult, AuditedPolicy, Verdict};
use crate::model::junit::{self, JunitCase, JunitOther};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Findings, then a summary per policy and per namespace.
    Table,
    /// Every result, as a JSON array.
    Json,
    /// JUnit XML: a test suite per policy, a test case per resource.
    Junit,
    /// wgpolicyk8s.io/v1alpha2 PolicyReports and ClusterPolicyReports, one per resource, as
    /// Kubewarden's audit-scanner writes them (a YAML stream for `kubectl apply -f`).
    PolicyReports,
    /// One self-contained HTML page: charts, a sortable and filterable findings table.
    Html,
}

/// What a report says about the run besides the results.
pub struct Context<'a> {
    pub policies: &'a [AuditedPolicy],
    /// Seconds since the epoch: `SOURCE_DATE_EPOCH` when set, so reports can be reproduced.
    pub generated_at: u64,
    pub objects: usize,
}

pub fn render(format: Format, results: &[AuditResult], context: &Context<'_>) -> String {
    match format {
        Format::Table => table::render(results, context),
        Format::Json => {
            let mut json = serde_json::to_string_pretty(results).expect("results serialise");
            json.push('\n');
            json
        }
        Format::Junit => junit_report(results),
        Format::PolicyReports => policy_reports::render(results, context),
        Format::Html => html::render(results, context),
    }
}

/// Counts per verdict, in [`Verdict::ALL`] order.
pub(crate) fn counts<'r>(results: impl Iterator<Item = &'r AuditResult>) -> [usize; 5] {
    let mut counts = [0; 5];
    for result in results {
        counts[Verdict::ALL
            .iter()
            .position(|v| *v == result.verdict)
            .unwrap_or(0)] += 1;
    }
    counts
}

/// Results grouped by a key, keys in order.
pub(crate) fn grouped(
    results: &[AuditResult],
    key: impl Fn(&AuditResult) -> String,
) -> BTreeMap<String, Vec<&AuditResult>> {
    let mut groups: BTreeMap<String, Vec<&AuditResult>> = BTreeMap::new();
    for result in results {
        groups.entry(key(result)).or_default().push(result);
    }
    groups
}

/// The name a summary gives the results of no policy and of no namespace.
pub(crate) const NO_POLICY: &str = "(no policy)";
pub(crate) const CLUSTER_SCOPE: &str = "(cluster)";

pub(crate) fn namespace_key(result: &AuditResult) -> String {
    result
        .namespace
        .clone()
        .unwrap_or_else(|| CLUSTER_SCOPE.to_owned())
}

fn junit_report(results: &[AuditResult]) -> String {
    let cases: Vec<JunitCase<'_>> = results
        .iter()
        .map(|r| {
            let suite = if r.policy.is_empty() {
                NO_POLICY
            } else {
                r.policy.as_str()
            };
            let details = match &r.rule {
                Some(rule) => format!("{rule}: {}", r.message),
                None => r.message.clone(),
            };
            let (failure, other) = match r.verdict {
                Verdict::Fail => (Some(details), None),
                Verdict::Error => (None, Some((JunitOther::Error, details))),
                Verdict::Skip => (None, Some((JunitOther::Skipped, details))),
                Verdict::Pass | Verdict::Warn => (None, None),
            };
            JunitCase {
                suite,
                name: &r.resource,
                seconds: 0.0,
                failure,
                other,
            }
        })
        .collect();
    junit::render(&cases)
}
