//! `wildcards`, `escalation` and `sensitive` over the `rules` of a Role or ClusterRole.

use crate::matching::{Rule, overlapping, plain_overlap, resource_overlap, rules_of, show};
use crate::rules::RuleId;
use crate::sensitive::{Permission, escalation_targets};
use crate::settings::{Settings, WildcardField};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Wildcards,
    Escalation,
    Sensitive,
}

impl Family {
    pub fn rule_id(self) -> RuleId {
        match self {
            Family::Wildcards => RuleId::Wildcards,
            Family::Escalation => RuleId::Escalation,
            Family::Sensitive => RuleId::Sensitive,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub family: Family,
    /// Starts with `rules[i]`.
    pub message: String,
}

/// Every finding of the families whose action is on, in rule order.
pub fn check(object: &Value, settings: &Settings) -> Vec<Finding> {
    let escalation = escalation_targets();
    let mut out = Vec::new();
    for (i, rule) in rules_of(object) {
        if let Some(message) = settings
            .wildcards
            .is_on()
            .then(|| wildcards(i, &rule, settings))
            .flatten()
        {
            out.push(Finding {
                family: Family::Wildcards,
                message,
            });
        }
        if settings.escalation.is_on() {
            for target in &escalation {
                if let Some(g) = grant(&rule, target, false) {
                    out.push(Finding {
                        family: Family::Escalation,
                        message: g.describe(i, "privilege escalation", &target.description),
                    });
                }
            }
        }
        if settings.sensitive.is_on() {
            for p in settings.all_sensitive() {
                if let Some(g) = grant(&rule, p, settings.exempt_resource_names) {
                    out.push(Finding {
                        family: Family::Sensitive,
                        message: g.describe(i, "sensitive permission", &p.description),
                    });
                }
            }
        }
    }
    out
}

fn is_wild_resource(r: &str, literal_only: bool) -> bool {
    r == "*" || (!literal_only && (r.starts_with("*/") || r.ends_with("/*")))
}

fn wildcards(i: usize, rule: &Rule<'_>, settings: &Settings) -> Option<String> {
    let mut parts = Vec::new();
    let mut field = |which: WildcardField, name: &str, items: Vec<&str>| {
        if !items.is_empty() && settings.wildcards_in.contains(&which) {
            parts.push(format!("{name} {}", show(&items)));
        }
    };
    field(
        WildcardField::Verbs,
        "verbs",
        rule.verbs.iter().copied().filter(|v| *v == "*").collect(),
    );
    field(
        WildcardField::ApiGroups,
        "apiGroups",
        rule.api_groups
            .iter()
            .copied()
            .filter(|g| *g == "*")
            .collect(),
    );
    field(
        WildcardField::Resources,
        "resources",
        rule.resources
            .iter()
            .copied()
            .filter(|r| is_wild_resource(r, settings.literal_wildcards_only))
            .collect(),
    );
    field(
        WildcardField::NonResourceUrls,
        "nonResourceURLs",
        rule.non_resource_urls
            .iter()
            .copied()
            .filter(|u| *u == "*" || (!settings.literal_wildcards_only && u.contains('*')))
            .collect(),
    );
    if parts.is_empty() {
        return None;
    }
    let context = if rule.non_resource_urls.is_empty() {
        format!(
            " (verbs {} on resources {} in apiGroups {})",
            show(&rule.verbs),
            show(&rule.resources),
            show(&rule.api_groups)
        )
    } else {
        format!(
            " (verbs {} on nonResourceURLs {})",
            show(&rule.verbs),
            show(&rule.non_resource_urls)
        )
    };
    Some(format!(
        "rules[{i}]: wildcard in {}{context}: a wildcard grants every present and future permission it matches, list them explicitly",
        parts.join(", ")
    ))
}

/// The parts of a rule that grant a permission pattern.
pub struct Grant<'a> {
    verbs: Vec<&'a str>,
    resources: Vec<&'a str>,
    groups: Vec<&'a str>,
}

impl Grant<'_> {
    fn describe(&self, i: usize, what: &str, why: &str) -> String {
        format!(
            "rules[{i}]: verbs {} on resources {} in apiGroups {}: {what}, {why}",
            show(&self.verbs),
            show(&self.resources),
            show(&self.groups)
        )
    }
}

/// Verbs that `resourceNames` cannot narrow: the object has no name yet, or there are many.
fn narrowed_verbs<'a>(verbs: &[&'a str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    for v in verbs {
        match *v {
            "*" => out.extend(["create", "deletecollection"]),
            "create" | "deletecollection" => out.push(v),
            _ => {}
        }
    }
    out
}

fn grant<'a>(rule: &Rule<'a>, p: &Permission, exempt_resource_names: bool) -> Option<Grant<'a>> {
    let narrowed;
    let verbs_in = if exempt_resource_names && !rule.resource_names.is_empty() {
        narrowed = narrowed_verbs(&rule.verbs);
        &narrowed
    } else {
        &rule.verbs
    };
    // Most rules grant none of a permission: find that out before collecting anything.
    let grants = |side: &[&str], patterns: &[String], overlap: fn(&str, &str) -> bool| {
        side.iter().any(|r| patterns.iter().any(|p| overlap(r, p)))
    };
    if !(grants(verbs_in, &p.verbs, plain_overlap)
        && grants(&rule.api_groups, &p.api_groups, plain_overlap)
        && grants(&rule.resources, &p.resources, resource_overlap))
    {
        return None;
    }
    Some(Grant {
        verbs: overlapping(verbs_in, &p.verbs, plain_overlap),
        resources: overlapping(&rule.resources, &p.resources, resource_overlap),
        groups: overlapping(&rule.api_groups, &p.api_groups, plain_overlap),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_common::Action;
    use serde_json::json;

    fn findings(rules: Value, settings: &Settings) -> Vec<Finding> {
        check(&json!({ "rules": rules }), settings)
    }

    #[test]
    fn wildcards_per_field_and_literal_only() {
        let rule = |r: Value| findings(json!([r]), &only(Family::Wildcards));
        let mut s = only(Family::Wildcards);
        s.wildcards_in = vec![WildcardField::Verbs];
        let with = |r: Value, s: &Settings| findings(json!([r]), s).len();
        assert_eq!(
            with(
                json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}),
                &s
            ),
            0
        );
        assert_eq!(
            with(
                json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}),
                &s
            ),
            1
        );
        s.wildcards_in = vec![WildcardField::Resources];
        assert_eq!(
            with(
                json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}),
                &s
            ),
            0
        );
        assert_eq!(
            with(
                json!({"apiGroups": [""], "resources": ["*/scale"], "verbs": ["get"]}),
                &s
            ),
            1
        );
        s.literal_wildcards_only = true;
        assert_eq!(
            with(
                json!({"apiGroups": [""], "resources": ["*/scale", "pods/*"], "verbs": ["get"]}),
                &s
            ),
            0
        );
        assert_eq!(
            with(
                json!({"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}),
                &s
            ),
            1
        );
        s.wildcards_in = vec![WildcardField::NonResourceUrls];
        assert_eq!(
            with(
                json!({"nonResourceURLs": ["/metrics/*"], "verbs": ["get"]}),
                &s
            ),
            0
        );
        assert_eq!(
            with(json!({"nonResourceURLs": ["*"], "verbs": ["get"]}), &s),
            1
        );
        assert_eq!(
            rule(json!({"nonResourceURLs": ["/metrics/*"], "verbs": ["get"]})).len(),
            1
        );
    }

    fn only(family: Family) -> Settings {
        let mut s = Settings {
            wildcards: Action::Off,
            escalation: Action::Off,
            sensitive: Action::Off,
            ..Settings::default()
        };
        match family {
            Family::Wildcards => s.wildcards = Action::Deny,
            Family::Escalation => s.escalation = Action::Deny,
            Family::Sensitive => s.sensitive = Action::Deny,
        }
        s
    }

    #[test]
    fn harmless_role_passes() {
        let f = findings(
            json!([{"apiGroups": ["", "apps"], "resources": ["pods", "deployments", "configmaps"], "verbs": ["get", "list", "watch"]}]),
            &Settings::default(),
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn every_wildcard_form() {
        let s = only(Family::Wildcards);
        for rule in [
            json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}),
            json!({"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}),
            json!({"apiGroups": [""], "resources": ["*/log"], "verbs": ["get"]}),
            json!({"apiGroups": [""], "resources": ["pods/*"], "verbs": ["get"]}),
            json!({"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}),
            json!({"nonResourceURLs": ["*"], "verbs": ["get"]}),
            json!({"nonResourceURLs": ["/metrics/*"], "verbs": ["get"]}),
        ] {
            let f = findings(
                json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}, rule.clone()]),
                &s,
            );
            assert_eq!(f.len(), 1, "{rule}");
            assert!(
                f[0].message.starts_with("rules[1]: wildcard in "),
                "{}",
                f[0].message
            );
        }
        let f = findings(
            json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
            &s,
        );
        assert!(
            f[0].message
                .contains("verbs [*], apiGroups [*], resources [*]"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn escalation_verbs_in_any_form() {
        let s = only(Family::Escalation);
        for rule in [
            json!({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]}),
            json!({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate"]}),
            json!({"apiGroups": ["*"], "resources": ["roles"], "verbs": ["*"]}),
            json!({"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}),
            json!({"apiGroups": [""], "resources": ["*"], "verbs": ["impersonate"]}),
            json!({"apiGroups": ["authentication.k8s.io"], "resources": ["userextras/scopes"], "verbs": ["impersonate"]}),
            json!({"apiGroups": ["authentication.k8s.io"], "resources": ["uids"], "verbs": ["impersonate"]}),
        ] {
            let f = findings(json!([rule.clone()]), &s);
            assert!(!f.is_empty(), "{rule}");
            assert!(
                f[0].message.contains("privilege escalation"),
                "{}",
                f[0].message
            );
        }
        for rule in [
            // impersonate on users exists only in the core group
            json!({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["users"], "verbs": ["impersonate"]}),
            json!({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["get", "list"]}),
            json!({"apiGroups": ["authentication.k8s.io"], "resources": ["userextras"], "verbs": ["impersonate"]}),
        ] {
            assert!(findings(json!([rule.clone()]), &s).is_empty(), "{rule}");
        }
        let f = findings(
            json!([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "configmaps"], "verbs": ["get", "bind"]}]),
            &s,
        );
        assert_eq!(
            f[0].message,
            "rules[0]: verbs [bind] on resources [roles] in apiGroups [rbac.authorization.k8s.io]: privilege escalation, bind lets it bind roles with permissions it does not hold"
        );
    }

    #[test]
    fn sensitive_permissions_are_wildcard_aware() {
        let s = only(Family::Sensitive);
        for (rule, why) in [
            (
                json!({"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}),
                "read of secrets",
            ),
            (
                json!({"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}),
                "read of secrets",
            ),
            (
                json!({"apiGroups": ["*"], "resources": ["secrets"], "verbs": ["*"]}),
                "read of secrets",
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}),
                "exec into pods",
            ),
            (
                json!({"apiGroups": [""], "resources": ["*/exec"], "verbs": ["get"]}),
                "exec into pods",
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods/attach"], "verbs": ["get"]}),
                "attach to pods",
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]}),
                "port-forward",
            ),
            (
                json!({"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}),
                "nodes/proxy",
            ),
            (
                json!({"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}),
                "tokens",
            ),
            (
                json!({"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["update"]}),
                "signing requests",
            ),
            (
                json!({"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"]}),
                "signer",
            ),
            (
                json!({"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"], "verbs": ["patch"]}),
                "webhook",
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}),
                "creating pods",
            ),
            (
                json!({"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["create"]}),
                "persistentvolumes",
            ),
        ] {
            let f = findings(json!([rule.clone()]), &s);
            assert!(f.iter().any(|f| f.message.contains(why)), "{rule}: {f:?}");
        }
        for rule in [
            json!({"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "delete"]}),
            json!({"apiGroups": ["apps"], "resources": ["secrets"], "verbs": ["get"]}),
            json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}),
            json!({"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}),
            json!({"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"], "verbs": ["get"]}),
            json!({"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]}),
        ] {
            assert!(findings(json!([rule.clone()]), &s).is_empty(), "{rule}");
        }
    }

    #[test]
    fn resource_names_exemption_keeps_unnarrowable_verbs() {
        let mut s = only(Family::Sensitive);
        let named = json!([{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["tls"], "verbs": ["get"]}]);
        assert_eq!(
            findings(named.clone(), &s).len(),
            1,
            "narrowed rules count by default"
        );
        s.exempt_resource_names = true;
        assert!(findings(named, &s).is_empty());
        let create = json!([{"apiGroups": [""], "resources": ["pods"], "resourceNames": ["x"], "verbs": ["*"]}]);
        let f = findings(create, &s);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("verbs [create]"), "{}", f[0].message);
    }

    #[test]
    fn additional_permissions_and_replacement() {
        let mut s = only(Family::Sensitive);
        s.additional_sensitive_permissions = vec![Permission {
            description: "token reviews".into(),
            api_groups: vec!["authentication.k8s.io".into()],
            resources: vec!["tokenreviews".into()],
            verbs: vec!["create".into()],
        }];
        let rule = json!([{"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]}]);
        assert_eq!(findings(rule, &s).len(), 1);
        s.sensitive_permissions.clear();
        let secrets = json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]);
        assert!(findings(secrets, &s).is_empty());
    }
}
