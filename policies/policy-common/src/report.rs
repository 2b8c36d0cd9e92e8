//! Collects every violation of one request into a single response.

use crate::action::Action;
use kubewarden_policy_sdk::response::ValidationResponse;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// One finding of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Stable rule id, e.g. `secret-env`. Used as the audit annotation key.
    pub rule: &'static str,
    pub action: Action,
    /// Human-readable; must never contain secret material.
    pub message: String,
}

/// All findings for a request; rules add to it and the policy turns it into the response.
#[derive(Clone, Debug, Default)]
pub struct Report {
    violations: Vec<Violation>,
    mutated: Option<Value>,
}

impl Report {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a finding of `rule` (`RuleId::X.as_str()` of the policy's rule-id enum, see
    /// [`crate::rule_ids!`]); `Action::Off` findings are dropped.
    pub fn add(&mut self, rule: &'static str, action: Action, message: impl Into<String>) {
        if action.is_on() {
            self.violations.push(Violation {
                rule,
                action,
                message: message.into(),
            });
        }
    }

    /// Records a field that a rule cannot read (see [`crate::shape`]): one finding per field,
    /// under the rule id `malformed`, with the strictest action of the rules that read it.
    pub fn malformed(&mut self, problem: &crate::shape::Malformed, action: Action) {
        let message = problem.message();
        match self
            .violations
            .iter_mut()
            .find(|v| v.rule == crate::shape::MALFORMED && v.message == message)
        {
            Some(found) => found.action = found.action.strictest(action),
            None => self.add(crate::shape::MALFORMED, action, message),
        }
    }

    /// Records a warning regardless of any rule action.
    pub fn warn(&mut self, rule: &'static str, message: impl Into<String>) {
        self.add(rule, Action::Warn, message);
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    pub fn is_denied(&self) -> bool {
        self.violations.iter().any(|v| v.action == Action::Deny)
    }

    /// The object to return as mutated (the caller edited a clone of the request's object).
    pub fn set_mutated(&mut self, object: Value) {
        self.mutated = Some(object);
    }

    /// The working copy for mutations: the previous edit, or a clone of `original`.
    pub fn mutated_or(&mut self, original: &Value) -> &mut Value {
        self.mutated.get_or_insert_with(|| original.clone())
    }

    /// Builds the response:
    /// - any `deny` finding rejects, with every denial in the message (joined by `; `);
    /// - `warn` findings become warnings (also on a rejection);
    /// - every finding is an audit annotation under its rule id;
    /// - a mutation is only returned when nothing is denied.
    pub fn into_response(self) -> ValidationResponse {
        let denied = self.is_denied();
        let mut audit: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for v in &self.violations {
            audit.entry(v.rule).or_default().push(&v.message);
        }
        let warnings: Vec<String> = self
            .violations
            .iter()
            .filter(|v| v.action == Action::Warn)
            .map(|v| v.message.clone())
            .collect();
        let message = denied.then(|| {
            self.violations
                .iter()
                .filter(|v| v.action == Action::Deny)
                .map(|v| v.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        });
        let audit_annotations = (!audit.is_empty()).then(|| {
            audit
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.join("; ")))
                .collect::<HashMap<_, _>>()
        });
        ValidationResponse {
            accepted: !denied,
            message,
            code: None,
            mutated_object: if denied { None } else { self.mutated },
            audit_annotations,
            warnings: (!warnings.is_empty()).then_some(warnings),
        }
    }

    /// The response, serialised for waPC.
    pub fn respond(self) -> wapc_guest::CallResult {
        Ok(serde_json::to_vec(&self.into_response())?)
    }
}

/// An acceptance, serialised for waPC.
pub fn accept() -> wapc_guest::CallResult {
    Report::new().respond()
}

/// A rejection with one message, serialised for waPC.
pub fn reject(message: impl Into<String>) -> wapc_guest::CallResult {
    Ok(serde_json::to_vec(&ValidationResponse {
        accepted: false,
        message: Some(message.into()),
        code: None,
        mutated_object: None,
        audit_annotations: None,
        warnings: None,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_report_accepts_cleanly() {
        let r = Report::new().into_response();
        assert!(r.accepted);
        assert!(r.message.is_none() && r.warnings.is_none() && r.audit_annotations.is_none());
    }

    #[test]
    fn collects_all_findings() {
        let mut report = Report::new();
        report.add("a", Action::Deny, "first");
        report.add("b", Action::Warn, "careful");
        report.add("a", Action::Deny, "second");
        report.add("c", Action::Off, "ignored");
        report.set_mutated(json!({"x": 1}));
        let r = report.into_response();
        assert!(!r.accepted);
        assert_eq!(r.message.as_deref(), Some("first; second"));
        assert_eq!(r.warnings, Some(vec!["careful".to_string()]));
        let audit = r.audit_annotations.unwrap();
        assert_eq!(audit["a"], "first; second");
        assert_eq!(audit["b"], "careful");
        assert!(!audit.contains_key("c"));
        assert!(r.mutated_object.is_none(), "no mutation on a rejection");
    }

    #[test]
    fn warnings_only_accept_with_mutation() {
        let mut report = Report::new();
        report.warn("w", "heads up");
        report.mutated_or(&json!({"a": 1}))["b"] = json!(2);
        let r = report.into_response();
        assert!(r.accepted);
        assert_eq!(r.mutated_object, Some(json!({"a": 1, "b": 2})));
    }
}
