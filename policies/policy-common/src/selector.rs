//! Kubernetes label selectors: the object form (`matchLabels` and `matchExpressions`) that
//! settings use, and the string form (`a=b,c!=d,e in (f,g),!h`) of list calls, which
//! [`LabelSelector::parse`] turns into the object form.

use crate::settings::SettingsError;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why the string form of a selector cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

impl From<SelectorError> for String {
    fn from(error: SelectorError) -> Self {
        error.0
    }
}

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
    pub fn validate(&self, field: &str) -> Result<(), SettingsError> {
        use crate::settings::capped;
        capped(&format!("{field}.matchLabels"), self.match_labels.len())?;
        capped(
            &format!("{field}.matchExpressions"),
            self.match_expressions.len(),
        )?;
        for (i, req) in self.match_expressions.iter().enumerate() {
            capped(
                &format!("{field}.matchExpressions[{i}].values"),
                req.values.len(),
            )?;
            let needs_values =
                matches!(req.operator, SelectorOperator::In | SelectorOperator::NotIn);
            if needs_values == req.values.is_empty() {
                return Err(SettingsError(format!(
                    "{field}.matchExpressions[{i}]: operator {:?} {} values",
                    req.operator,
                    if needs_values { "requires" } else { "takes no" }
                )));
            }
        }
        Ok(())
    }

    /// Parses the string form of a selector (`kubectl -l`, `labelSelector` of list calls):
    /// comma-separated `k=v` (or `k==v`), `k!=v`, `k`, `!k`, `k in (v,...)`, `k notin (v,...)`,
    /// all of which must hold. `k=v` reads as `k in (v)` and `k!=v` as `k notin (v)`, which
    /// match the same labels. An empty text selects everything.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let match_expressions = split_top_level(text)
            .filter(|part| !part.trim().is_empty())
            .map(parse_requirement)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            match_labels: BTreeMap::new(),
            match_expressions,
        })
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

/// Splits at the commas that are not inside parentheses.
fn split_top_level(text: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0usize;
    text.split(move |c| {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        c == ',' && depth == 0
    })
}

fn requirement(
    key: &str,
    operator: SelectorOperator,
    values: Vec<String>,
) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.trim().to_owned(),
        operator,
        values,
    }
}

fn parse_set(text: &str) -> Result<Vec<String>, SelectorError> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| SelectorError(format!("expected a parenthesised set, got '{text}'")))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect())
}

fn parse_requirement(text: &str) -> Result<LabelSelectorRequirement, SelectorError> {
    use SelectorOperator::*;
    let text = text.trim();
    if let Some(key) = text.strip_prefix('!') {
        return Ok(requirement(key, DoesNotExist, Vec::new()));
    }
    if let Some((key, value)) = text.split_once("!=") {
        return Ok(requirement(key, NotIn, vec![value.trim().to_owned()]));
    }
    if let Some((key, value)) = text.split_once("==").or_else(|| text.split_once('=')) {
        return Ok(requirement(key, In, vec![value.trim().to_owned()]));
    }
    let mut words = text.splitn(3, char::is_whitespace);
    let key = words.next().unwrap_or_default();
    match (words.next(), words.next()) {
        (None, _) if !key.is_empty() => Ok(requirement(key, Exists, Vec::new())),
        (Some("in"), Some(set)) => Ok(requirement(key, In, parse_set(set)?)),
        (Some("notin"), Some(set)) => Ok(requirement(key, NotIn, parse_set(set)?)),
        _ => Err(SelectorError(format!(
            "invalid label selector requirement '{text}'"
        ))),
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
    fn selectors_are_capped() {
        let many: Vec<String> = (0..1001).map(|i| format!("v{i}")).collect();
        let s =
            selector(json!({"matchExpressions": [{"key": "k", "operator": "In", "values": many}]}));
        let e = s.validate("exemptions.labelSelector").unwrap_err().0;
        assert_eq!(
            e,
            "exemptions.labelSelector.matchExpressions[0].values: at most 1000 entries, got 1001"
        );
        let labels: serde_json::Map<String, Value> =
            (0..1001).map(|i| (format!("k{i}"), json!("v"))).collect();
        let e = selector(json!({"matchLabels": labels}))
            .validate("x")
            .unwrap_err()
            .0;
        assert_eq!(e, "x.matchLabels: at most 1000 entries, got 1001");
        assert!(
            selector(json!({"matchLabels": {"a": "b"}}))
                .validate("x")
                .is_ok()
        );
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
        let err = s.validate("exemptions.labelSelector").unwrap_err().0;
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

    #[test]
    fn string_form_has_every_operator() {
        let labels = json!({"team": "a", "env": "prod"});
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches(Some(&labels));
        assert!(m("team=a"));
        assert!(m("team==a"));
        assert!(!m("team=b"));
        assert!(m("team!=b"));
        assert!(m("missing!=b"));
        assert!(m("env"));
        assert!(!m("!env"));
        assert!(m("!missing"));
        assert!(m("env in (prod, staging)"));
        assert!(!m("env in (dev)"));
        assert!(m("env notin (dev)"));
        assert!(m("missing notin (dev)"));
        assert!(m("team=a,env in (prod,dev),!missing"));
        assert!(!m("team=a,env notin (prod,dev)"));
        assert!(m(""));
        assert!(LabelSelector::parse("").unwrap().is_empty());
    }

    #[test]
    fn string_form_errors_quote_the_requirement() {
        assert_eq!(
            LabelSelector::parse("a in b").unwrap_err().0,
            "expected a parenthesised set, got 'b'"
        );
        assert_eq!(
            LabelSelector::parse("ok, a foo (b)").unwrap_err().0,
            "invalid label selector requirement 'a foo (b)'"
        );
    }
}
