//! What an RBAC PolicyRule grants, and whether it overlaps a permission pattern.
//!
//! Rule side follows Kubernetes' `evaluation_helpers.go`: `*` in verbs or apiGroups matches
//! everything, `*` in resources matches every resource and subresource, `*/sub` matches `sub` of
//! any resource, anything else is literal. One deliberate over-approximation: `res/*`, which
//! Kubernetes matches literally, is read as "every subresource of res" — it is what its author
//! meant, and the wildcard rule reports it anyway.
//!
//! Pattern side (sensitive permissions, escalation targets) uses the same forms, with `res/*`
//! meaning any subresource of `res`. Two patterns overlap when some concrete request matches
//! both, so wildcards count in both directions.

use policy_common::shape::{self, Malformed};
use serde_json::Value;

/// A borrowed view of one PolicyRule. Entries that are not strings are ignored.
#[derive(Debug, Default)]
pub struct Rule<'a> {
    pub api_groups: Vec<&'a str>,
    pub resources: Vec<&'a str>,
    pub verbs: Vec<&'a str>,
    pub resource_names: Vec<&'a str>,
    pub non_resource_urls: Vec<&'a str>,
}

fn strings<'a>(rule: &'a Value, key: &str) -> Vec<&'a str> {
    rule.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

impl<'a> Rule<'a> {
    pub fn from_value(rule: &'a Value) -> Self {
        Rule {
            api_groups: strings(rule, "apiGroups"),
            resources: strings(rule, "resources"),
            verbs: strings(rule, "verbs"),
            resource_names: strings(rule, "resourceNames"),
            non_resource_urls: strings(rule, "nonResourceURLs"),
        }
    }
}

/// The string-list fields of a PolicyRule.
const RULE_FIELDS: [&str; 5] = [
    "apiGroups",
    "resources",
    "verbs",
    "resourceNames",
    "nonResourceURLs",
];

/// Fail closed: the first field of `rules` that is not what Kubernetes sends (`rules` not a
/// list, a rule not an object, one of its fields not a list of strings). The rules are then not
/// judged as if that field were absent: the caller reports it as `malformed`.
pub fn malformed_rules(object: &Value) -> Option<Malformed> {
    let rules = match shape::object_list(object, "/rules") {
        Ok(rules) => rules,
        Err(problem) => return Some(problem),
    };
    rules.iter().enumerate().find_map(|(i, rule)| {
        RULE_FIELDS.iter().find_map(|field| {
            shape::string_list(rule, &format!("/{field}"))
                .err()
                .map(|m| Malformed::new(format!("/rules/{i}{}", m.path), m.expected))
        })
    })
}

/// The rules of a Role or ClusterRole object, with their index.
pub fn rules_of(object: &Value) -> impl Iterator<Item = (usize, Rule<'_>)> {
    object
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, r)| r.is_object())
        .map(|(i, r)| (i, Rule::from_value(r)))
}

/// Verbs or apiGroups: `*` on either side, or a common entry.
pub fn plain_overlap(a: &str, b: &str) -> bool {
    a == "*" || b == "*" || a == b
}

fn split(resource: &str) -> (&str, Option<&str>) {
    match resource.split_once('/') {
        Some((base, sub)) => (base, Some(sub)),
        None => (resource, None),
    }
}

/// Whether a rule resource and a pattern resource can both match one request.
pub fn resource_overlap(rule: &str, pattern: &str) -> bool {
    if rule == "*" || pattern == "*" {
        return true;
    }
    let (rb, rs) = split(rule);
    let (pb, ps) = split(pattern);
    let base = rb == "*" || pb == "*" || rb == pb;
    let sub = match (rs, ps) {
        (None, None) => true,
        (Some(r), Some(p)) => r == "*" || p == "*" || r == p,
        _ => false,
    };
    base && sub
}

/// The entries of `rule_side` that overlap any entry of `patterns`.
pub fn overlapping<'a>(
    rule_side: &[&'a str],
    patterns: &[String],
    overlap: fn(&str, &str) -> bool,
) -> Vec<&'a str> {
    rule_side
        .iter()
        .copied()
        .filter(|r| patterns.iter().any(|p| overlap(r, p)))
        .collect()
}

/// A list for messages: `[get, list]`, with the core group shown as `""`; every entry comes
/// from the request and is redacted.
pub fn show(items: &[&str]) -> String {
    let shown: Vec<String> = items
        .iter()
        .map(|s| {
            if s.is_empty() {
                "\"\"".to_string()
            } else {
                policy_common::redact::value(s)
            }
        })
        .collect();
    format!("[{}]", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resource_overlap_follows_rbac() {
        for (rule, pattern, expected) in [
            ("*", "secrets", true),
            ("*", "pods/exec", true),
            ("secrets", "*", true),
            ("secrets", "secrets", true),
            ("secret", "secrets", false),
            ("pods", "pods/exec", false),
            ("pods/exec", "pods", false),
            ("*/exec", "pods/exec", true),
            ("*/exec", "pods", false),
            ("*/log", "pods/exec", false),
            ("pods/*", "pods/exec", true),
            ("pods/*", "pods", false),
            ("nodes/*", "pods/exec", false),
            ("userextras/scopes", "userextras/*", true),
            ("*/scopes", "userextras/*", true),
            ("userextras", "userextras/*", false),
            ("pods/exec", "*/exec", true),
            ("pods/attach", "*/exec", false),
        ] {
            assert_eq!(
                resource_overlap(rule, pattern),
                expected,
                "{rule} vs {pattern}"
            );
        }
    }

    #[test]
    fn plain_overlap_is_wildcard_aware_both_ways() {
        assert!(plain_overlap("*", "get"));
        assert!(plain_overlap("get", "*"));
        assert!(plain_overlap("", ""));
        assert!(!plain_overlap("", "apps"));
        assert!(!plain_overlap("get", "list"));
    }

    #[test]
    fn reads_rules_ignoring_garbage() {
        let role = json!({"rules": [
            {"apiGroups": [""], "resources": ["pods", 3], "verbs": ["get"]},
            "garbage",
            {"nonResourceURLs": ["/healthz"], "verbs": null}
        ]});
        let rules: Vec<_> = rules_of(&role).collect();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].1.resources, vec!["pods"]);
        assert_eq!(rules[1].0, 2);
        assert!(rules[1].1.verbs.is_empty());
        assert_eq!(rules_of(&json!({"rules": 5})).count(), 0);
        assert_eq!(show(&["", "apps"]), "[\"\", apps]");
    }
}
