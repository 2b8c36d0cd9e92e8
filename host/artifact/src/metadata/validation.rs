//! kwctl's author-side checks of [`Metadata`] (Kubewarden's `policy-evaluator`,
//! `crates/policy-evaluator/src/policy_metadata.rs`), each error naming the field.

use std::collections::HashSet;

use super::{Metadata, Operation, Rule};
use crate::host_capabilities::{CapabilityPattern, UnknownCapabilityPattern};

/// What is wrong with otherwise well-formed metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("rules[{index}] is invalid: {problem}")]
    Rule { index: usize, problem: RuleError },
    #[error("contextAwareResources: apiVersion and kind must not be empty")]
    EmptyContextAwareResource,
    /// Not `#[from]`: the pattern error is in the message, not a `source()` printed twice.
    #[error("hostCapabilities: {0}")]
    HostCapability(UnknownCapabilityPattern),
    #[error("minimumKubewardenVersion {version:?} is not semver: {reason}")]
    MinimumKubewardenVersion { version: String, reason: String },
    #[error(
        "Must specify a valid protocol version: kubewarden-wapc policies need protocolVersion v1"
    )]
    ProtocolVersion,
}

/// What is wrong with one rule; `field` is its camelCase key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{field} must contain at least one element")]
    Empty { field: &'static str },
    #[error("{field}: no other elements can be defined when '*' is used")]
    WildcardNotAlone { field: &'static str },
    #[error("operations must not contain duplicates")]
    DuplicateOperation,
    #[error("resources: empty resource is not allowed")]
    EmptyResource,
    #[error("resources: {0}")]
    Resources(String),
}

pub(super) fn validate(metadata: &Metadata) -> Result<(), ValidationError> {
    for (index, rule) in metadata.rules.iter().enumerate() {
        validate_rule(rule).map_err(|problem| ValidationError::Rule { index, problem })?;
    }
    if metadata
        .context_aware_resources
        .iter()
        .any(|r| r.api_version.is_empty() || r.kind.is_empty())
    {
        return Err(ValidationError::EmptyContextAwareResource);
    }
    for pattern in metadata.host_capabilities.iter().flatten() {
        validate_host_capability(pattern)?;
    }
    if let Some(version) = &metadata.minimum_kubewarden_version {
        semver::Version::parse(version).map_err(|e| ValidationError::MinimumKubewardenVersion {
            version: version.clone(),
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// Host capability pattern (docs/protocol.md §3.6): `*`, a prefix ending in `/*` of a
/// known path, or an exact known path.
pub fn validate_host_capability(pattern: &str) -> Result<(), ValidationError> {
    CapabilityPattern::parse(pattern).map_err(ValidationError::HostCapability)?;
    Ok(())
}

fn validate_asterisk(field: &'static str, items: &[String]) -> Result<(), RuleError> {
    if items.is_empty() {
        return Err(RuleError::Empty { field });
    }
    if items.len() > 1 && items.iter().any(|s| s == "*") {
        return Err(RuleError::WildcardNotAlone { field });
    }
    Ok(())
}

fn validate_rule(rule: &Rule) -> Result<(), RuleError> {
    validate_asterisk("apiGroups", &rule.api_groups)?;
    validate_asterisk("apiVersions", &rule.api_versions)?;
    if rule.resources.is_empty() {
        return Err(RuleError::Empty { field: "resources" });
    }
    validate_resources(&rule.resources)?;
    if rule.operations.is_empty() {
        return Err(RuleError::Empty {
            field: "operations",
        });
    }
    if rule.operations.len() > 1 && rule.operations.contains(&Operation::All) {
        return Err(RuleError::WildcardNotAlone {
            field: "operations",
        });
    }
    let unique: HashSet<_> = rule.operations.iter().collect();
    if unique.len() != rule.operations.len() {
        return Err(RuleError::DuplicateOperation);
    }
    Ok(())
}

/// Kubernetes' admissionregistration resource checks: `*/*` alone, `*` only
/// beside `x/y` entries, `x/*` excludes `x/y`, `*/y` excludes `x/y`.
fn validate_resources(resources: &[String]) -> Result<(), RuleError> {
    let mut wildcard_sub_of: HashSet<&str> = HashSet::new(); // x/*
    let mut wildcard_res_for: HashSet<&str> = HashSet::new(); // */y
    let mut has_all_all = false;
    let mut has_all = false;
    let mut has_plain = false;
    for res in resources {
        if res.is_empty() {
            return Err(RuleError::EmptyResource);
        }
        match res.as_str() {
            "*/*" => has_all_all = true,
            "*" => has_all = true,
            _ => {}
        }
        let Some((r, sub)) = res.split_once('/') else {
            if res != "*" {
                has_plain = true;
            }
            continue;
        };
        if wildcard_sub_of.contains(r) {
            return Err(RuleError::Resources(format!(
                "if '{r}/*' is present, must not specify {res}"
            )));
        }
        if wildcard_res_for.contains(sub) {
            return Err(RuleError::Resources(format!(
                "if '*/{sub}' is present, must not specify {res}"
            )));
        }
        if sub == "*" {
            wildcard_sub_of.insert(r);
        }
        if r == "*" {
            wildcard_res_for.insert(sub);
        }
    }
    if resources.len() > 1 && has_all_all {
        return Err(RuleError::Resources(
            "if '*/*' is present, must not specify other resources".into(),
        ));
    }
    if has_all && has_plain {
        return Err(RuleError::Resources(
            "if '*' is present, must not specify other resources without subresources".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], ops: &[Operation]) -> Rule {
        Rule {
            api_groups: groups.iter().map(|s| s.to_string()).collect(),
            api_versions: vec!["v1".into()],
            resources: resources.iter().map(|s| s.to_string()).collect(),
            operations: ops.to_vec(),
        }
    }

    #[test]
    fn rule_validation() {
        use Operation::*;
        assert!(validate_rule(&rule(&[""], &["pods"], &[Create])).is_ok());
        assert!(validate_rule(&rule(&["", "*"], &["pods"], &[Create])).is_err());
        assert!(validate_rule(&rule(&[], &["pods"], &[Create])).is_err());
        assert!(validate_rule(&rule(&[""], &[], &[Create])).is_err());
        assert!(validate_rule(&rule(&[""], &["pods"], &[])).is_err());
        assert!(validate_rule(&rule(&[""], &["pods"], &[All, Create])).is_err());
        assert!(validate_rule(&rule(&[""], &["pods"], &[Create, Create])).is_err());
        assert!(validate_rule(&rule(&["a"], &["*", "a/b", "a/*", "*/b"], &[Create])).is_ok());
        assert!(validate_rule(&rule(&["a"], &["*", "a"], &[Create])).is_err());
        assert!(validate_rule(&rule(&["a"], &["a/*", "a/x"], &[Create])).is_err());
        assert!(validate_rule(&rule(&["a"], &["a/*", "a"], &[Create])).is_ok());
        assert!(validate_rule(&rule(&["a"], &["*/a", "x/a"], &[Create])).is_err());
        assert!(validate_rule(&rule(&["a"], &["*/*", "pods"], &[Create])).is_err());
        assert!(Metadata::from_yaml_str("rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [PATCH]}]\nmutating: false").is_err());
    }

    #[test]
    fn errors_name_the_field() {
        let mut metadata = Metadata {
            rules: vec![rule(&[""], &["pods"], &[])],
            ..Metadata::default()
        };
        assert_eq!(
            metadata.validate().unwrap_err().to_string(),
            "rules[0] is invalid: operations must contain at least one element"
        );
        metadata.rules.clear();
        metadata.host_capabilities = Some(vec!["oci/v3/*".into()]);
        assert_eq!(
            metadata.validate().unwrap_err().to_string(),
            "hostCapabilities: unknown host capability pattern: 'oci/v3/*'"
        );
    }

    #[test]
    fn host_capability_patterns() {
        for ok in [
            "*",
            "oci/*",
            "oci/v1/*",
            "kubernetes/can_i",
            "oci/v2/verify",
        ] {
            validate_host_capability(ok).unwrap();
        }
        for bad in ["", "foo/*", "oci/v3/*", "kubernetes/delete", "/*"] {
            assert!(validate_host_capability(bad).is_err(), "{bad}");
        }
    }
}
