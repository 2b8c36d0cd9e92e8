//! Kubernetes label selectors (`matchLabels` and `matchExpressions`).

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: SelectorOperator,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum SelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelSelector {
    /// An empty selector, which Kubernetes reads as "everything"; callers that use a selector as
    /// an exemption treat an empty one as absent.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Same checks as the API server's validation of a LabelSelector.
    pub fn validate(&self, field: &str) -> Result<(), String> {
        for (i, req) in self.match_expressions.iter().enumerate() {
            let needs_values =
                matches!(req.operator, SelectorOperator::In | SelectorOperator::NotIn);
            if needs_values == req.values.is_empty() {
                return Err(format!(
                    "{field}.matchExpressions[{i}]: operator {:?} {} values",
                    req.operator,
                    if needs_values { "requires" } else { "takes no" }
                ));
            }
        }
        Ok(())
    }

    /// Whether `labels` (an object's `metadata.labels`, possibly absent) match.
    pub fn matches(&self, labels: Option<&Value>) -> bool {
        let get = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        self.match_labels
            .iter()
            .all(|(k, v)| get(k) == Some(v.as_str()))
            && self.match_expressions.iter().all(|req| {
                let value = get(&req.key);
                match req.operator {
                    SelectorOperator::In => {
                        value.is_some_and(|v| req.values.iter().any(|x| x == v))
                    }
                    SelectorOperator::NotIn => {
                        value.is_none_or(|v| req.values.iter().all(|x| x != v))
                    }
                    SelectorOperator::Exists => value.is_some(),
                    SelectorOperator::DoesNotExist => value.is_none(),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn selector(v: Value) -> LabelSelector {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn match_labels_and_expressions() {
        let s = selector(json!({
            "matchLabels": {"team": "a"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["web", "api"]},
                {"key": "legacy", "operator": "DoesNotExist"}
            ]
        }));
        assert!(s.matches(Some(&json!({"team": "a", "tier": "web"}))));
        assert!(!s.matches(Some(&json!({"team": "a", "tier": "db"}))));
        assert!(!s.matches(Some(&json!({"team": "a", "tier": "web", "legacy": "1"}))));
        assert!(!s.matches(None));
    }

    #[test]
    fn not_in_matches_absent_keys() {
        let s = selector(
            json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}),
        );
        assert!(s.matches(None));
        assert!(s.matches(Some(&json!({"env": "dev"}))));
        assert!(!s.matches(Some(&json!({"env": "prod"}))));
    }

    #[test]
    fn validation_names_the_field() {
        let s = selector(json!({"matchExpressions": [{"key": "k", "operator": "In"}]}));
        let err = s.validate("exemptions.labelSelector").unwrap_err();
        assert!(
            err.contains("exemptions.labelSelector.matchExpressions[0]"),
            "{err}"
        );
        assert!(
            serde_json::from_value::<LabelSelector>(
                json!({"matchExpressions": [{"key": "k", "operator": "Equals"}]})
            )
            .is_err()
        );
    }
}
