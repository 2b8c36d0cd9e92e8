//! One self-contained HTML page (`report.html` with the results embedded as JSON): no network
//! at view time. The page's script writes every value with `textContent`, never as markup, and
//! the embedded JSON has `<`, `>` and `&` escaped, so a message cannot close the script element.

use serde_json::json;

use super::{Context, NO_POLICY};
use crate::audit::AuditResult;
use crate::model::admission_response::PolicyMode;

const TEMPLATE: &str = include_str!("report.html");
const DATA_SLOT: &str = "/*AUDIT-DATA*/null";

/// JSON that is safe inside a `<script>` element.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

pub(super) fn render(results: &[AuditResult], context: &Context<'_>) -> String {
    let mut policies: Vec<serde_json::Value> = context
        .policies
        .iter()
        .map(|p| json!({"name": p.name, "monitor": p.mode == PolicyMode::Monitor}))
        .collect();
    if results.iter().any(|r| r.policy.is_empty()) {
        policies.push(json!({"name": NO_POLICY, "monitor": false}));
    }
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            json!({
                "resource": r.resource,
                "namespace": r.namespace,
                "policy": if r.policy.is_empty() { NO_POLICY } else { r.policy.as_str() },
                "rule": r.rule,
                "verdict": r.verdict.as_str(),
                "monitor": r.monitor,
                "message": r.message,
            })
        })
        .collect();
    let data = json!({
        "generatedAt": context.generated_at,
        "objects": context.objects,
        "policies": policies,
        "results": rows,
    });
    TEMPLATE.replace(DATA_SLOT, &script_safe(&data.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_its_script() {
        let hostile = r#"{"m":"</script><img src=x onerror=alert(1)>&"}"#;
        let safe = script_safe(hostile);
        assert!(!safe.contains("</script"));
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["m"], "</script><img src=x onerror=alert(1)>&");
        assert!(TEMPLATE.contains(DATA_SLOT));
    }
}
