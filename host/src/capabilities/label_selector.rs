//! Kubernetes label selectors (`a=b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`)
//! and simple field selectors (`path=value`, `path!=value`).

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// A parsed selector; every requirement must hold (they are ANDed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

/// Splits at commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (index, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_set(text: &str) -> Result<Vec<String>, String> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| format!("expected a parenthesised set, got '{text}'"))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect())
}

fn parse_requirement(text: &str) -> Result<Requirement, String> {
    let text = text.trim();
    if let Some(key) = text.strip_prefix('!') {
        return Ok(Requirement::NotExists(key.trim().to_owned()));
    }
    if let Some((key, value)) = text.split_once("!=") {
        return Ok(Requirement::NotEquals(
            key.trim().into(),
            value.trim().into(),
        ));
    }
    if let Some((key, value)) = text.split_once("==").or_else(|| text.split_once('=')) {
        return Ok(Requirement::Equals(key.trim().into(), value.trim().into()));
    }
    let mut words = text.splitn(3, char::is_whitespace);
    let key = words.next().unwrap_or_default().to_owned();
    match (words.next(), words.next()) {
        (None, _) if !key.is_empty() => Ok(Requirement::Exists(key)),
        (Some("in"), Some(set)) => Ok(Requirement::In(key, parse_set(set)?)),
        (Some("notin"), Some(set)) => Ok(Requirement::NotIn(key, parse_set(set)?)),
        _ => Err(format!("invalid label selector requirement '{text}'")),
    }
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let requirements = split_top_level(text)
            .into_iter()
            .filter(|part| !part.trim().is_empty())
            .map(parse_requirement)
            .collect::<Result<_, _>>()?;
        Ok(Self { requirements })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements
            .iter()
            .all(|requirement| match requirement {
                Requirement::Equals(k, v) => labels.get(k) == Some(v),
                Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
                Requirement::Exists(k) => labels.contains_key(k),
                Requirement::NotExists(k) => !labels.contains_key(k),
                Requirement::In(k, set) => labels.get(k).is_some_and(|v| set.contains(v)),
                Requirement::NotIn(k, set) => labels.get(k).is_none_or(|v| !set.contains(v)),
            })
    }

    /// Labels of a Kubernetes object (`metadata.labels`, string values only).
    pub fn matches_object(&self, object: &Value) -> bool {
        let labels = object
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        self.matches(&labels)
    }
}

/// Field selector: comma-separated `dot.path=value` / `dot.path!=value` on the object.
pub fn field_selector_matches(selector: &str, object: &Value) -> Result<bool, String> {
    for part in selector.split(',').filter(|p| !p.trim().is_empty()) {
        let (path, expected, negate) = if let Some((p, v)) = part.split_once("!=") {
            (p, v, true)
        } else if let Some((p, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            (p, v, false)
        } else {
            return Err(format!("invalid field selector requirement '{part}'"));
        };
        let pointer = format!("/{}", path.trim().replace('.', "/"));
        let actual = object.pointer(&pointer).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let equal = actual.as_deref().unwrap_or("") == expected.trim();
        if equal == negate {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn all_operators() {
        let l = labels(&[("team", "a"), ("env", "prod")]);
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches(&l);
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
    }

    #[test]
    fn invalid_selector() {
        assert!(LabelSelector::parse("a in b").is_err());
        assert!(LabelSelector::parse("a foo (b)").is_err());
    }

    #[test]
    fn field_selector() {
        let obj = serde_json::json!({"metadata": {"name": "x", "namespace": "ns"}});
        assert!(field_selector_matches("metadata.name=x", &obj).unwrap());
        assert!(!field_selector_matches("metadata.name!=x", &obj).unwrap());
        assert!(field_selector_matches("metadata.namespace=ns,metadata.name=x", &obj).unwrap());
    }
}
