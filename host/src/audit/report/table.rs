//! The terminal report: the findings (everything but passes and skips), then the counts per
//! policy and per namespace.

use std::fmt::Write as _;

use super::{Context, NO_POLICY, counts, grouped, namespace_key};
use crate::audit::{AuditResult, Verdict};

fn summary(out: &mut String, title: &str, groups: Vec<(String, [usize; 5])>) {
    let _ = writeln!(
        out,
        "\n{title:<32} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "pass", "warn", "fail", "error", "skip"
    );
    for (name, c) in groups {
        let _ = writeln!(
            out,
            "{name:<32} {:>6} {:>6} {:>6} {:>6} {:>6}",
            c[0], c[1], c[2], c[3], c[4]
        );
    }
}

pub(super) fn render(results: &[AuditResult], context: &Context<'_>) -> String {
    let mut out = String::new();
    let findings: Vec<&AuditResult> = results
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Pass | Verdict::Skip))
        .collect();
    if findings.is_empty() {
        out.push_str("no findings\n");
    } else {
        let _ = writeln!(
            out,
            "{:<44} {:<24} {:<24} {:<7} message",
            "resource", "policy", "rule", "verdict"
        );
        for r in findings {
            let verdict = match (r.verdict, r.monitor) {
                (Verdict::Fail, true) => "fail*",
                (v, _) => v.as_str(),
            };
            let _ = writeln!(
                out,
                "{:<44} {:<24} {:<24} {verdict:<7} {}",
                r.resource,
                r.policy,
                r.rule.as_deref().unwrap_or("-"),
                r.message.replace('\n', " ")
            );
        }
        if results
            .iter()
            .any(|r| r.monitor && r.verdict == Verdict::Fail)
        {
            out.push_str("* a policy in monitor mode: it would log this, not deny it\n");
        }
    }
    // Every policy of the set, even one that judged nothing.
    let mut by_policy: Vec<(String, [usize; 5])> = context
        .policies
        .iter()
        .map(|p| {
            let c = counts(results.iter().filter(|r| r.policy == p.name));
            (p.name.clone(), c)
        })
        .collect();
    let unjudged = counts(results.iter().filter(|r| r.policy.is_empty()));
    if unjudged.iter().any(|&n| n > 0) {
        by_policy.push((NO_POLICY.to_owned(), unjudged));
    }
    summary(&mut out, "policy", by_policy);
    let by_namespace = grouped(results, namespace_key)
        .into_iter()
        .map(|(ns, rs)| (ns, counts(rs.into_iter())))
        .collect();
    summary(&mut out, "namespace", by_namespace);
    let total = counts(results.iter());
    let _ = writeln!(
        out,
        "\n{} objects, {} results: {} pass, {} warn, {} fail, {} error, {} skip",
        context.objects,
        results.len(),
        total[0],
        total[1],
        total[2],
        total[3],
        total[4]
    );
    out
}
