//! Which requests a metadata rule selects, with the API server's semantics for a webhook's
//! `RuleWithOperations`: `*` in groups, versions and operations; for resources, `*` is every
//! resource but no subresource, `*/*` every resource and subresource, `pods/*` every
//! subresource of pods, `*/scale` the scale subresource of every resource. The offline audit
//! judges an object only with the policies whose rules select its CREATE.

use super::{Operation, Rule};

/// The request a rule is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestedResource<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub resource: &'a str,
    /// `None` for the resource itself.
    pub subresource: Option<&'a str>,
    pub operation: Operation,
}

fn resource_matches(pattern: &str, resource: &str, subresource: Option<&str>) -> bool {
    let (p_res, p_sub) = match pattern.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (pattern, None),
    };
    let resource_ok = p_res == "*" || p_res == resource;
    let sub_ok = match (p_sub, subresource) {
        (None, None) => true,
        (Some("*"), _) => true,
        (Some(p), Some(s)) => p == s,
        _ => false,
    };
    resource_ok && sub_ok
}

impl Rule {
    pub fn matches(&self, request: &RequestedResource<'_>) -> bool {
        let any_or = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
        any_or(&self.api_groups, request.group)
            && any_or(&self.api_versions, request.version)
            && self
                .operations
                .iter()
                .any(|o| *o == Operation::All || *o == request.operation)
            && self
                .resources
                .iter()
                .any(|p| resource_matches(p, request.resource, request.subresource))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], versions: &[&str], resources: &[&str], ops: &[Operation]) -> Rule {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Rule {
            api_groups: own(groups),
            api_versions: own(versions),
            resources: own(resources),
            operations: ops.to_vec(),
        }
    }

    fn create<'a>(
        group: &'a str,
        resource: &'a str,
        sub: Option<&'a str>,
    ) -> RequestedResource<'a> {
        RequestedResource {
            group,
            version: "v1",
            resource,
            subresource: sub,
            operation: Operation::Create,
        }
    }

    #[test]
    fn resources_follow_the_api_server() {
        for (pattern, resource, sub, expected) in [
            ("pods", "pods", None, true),
            ("pods", "pods", Some("exec"), false),
            ("*", "pods", None, true),
            ("*", "pods", Some("exec"), false),
            ("*/*", "pods", Some("exec"), true),
            ("*/*", "pods", None, true),
            ("pods/*", "pods", Some("log"), true),
            ("pods/*", "pods", None, true),
            ("pods/*", "deployments", Some("scale"), false),
            ("*/scale", "deployments", Some("scale"), true),
            ("*/scale", "deployments", None, false),
            ("pods/exec", "pods", Some("exec"), true),
            ("pods/exec", "pods", Some("attach"), false),
        ] {
            let r = rule(&["*"], &["*"], &[pattern], &[Operation::All]);
            assert_eq!(
                r.matches(&create("", resource, sub)),
                expected,
                "{pattern} vs {resource}/{sub:?}"
            );
        }
    }

    #[test]
    fn groups_versions_and_operations() {
        let r = rule(
            &["apps"],
            &["v1"],
            &["deployments"],
            &[Operation::Create, Operation::Update],
        );
        assert!(r.matches(&create("apps", "deployments", None)));
        assert!(!r.matches(&create("", "deployments", None)));
        assert!(!r.matches(&RequestedResource {
            version: "v1beta1",
            ..create("apps", "deployments", None)
        }));
        assert!(!r.matches(&RequestedResource {
            operation: Operation::Delete,
            ..create("apps", "deployments", None)
        }));
        // An empty list selects nothing.
        assert!(!rule(&[], &["*"], &["*"], &[Operation::All]).matches(&create("", "pods", None)));
        assert!(!rule(&["*"], &["*"], &["*"], &[]).matches(&create("", "pods", None)));
    }
}
