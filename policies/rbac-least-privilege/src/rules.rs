//! The rule ids of this policy: audit annotation keys, listed in the README.

policy_common::rule_ids! {
    /// Every rule of `rbac-least-privilege`.
    pub enum RuleId {
        Wildcards = "wildcards",
        Escalation = "escalation",
        Sensitive = "sensitive",
        Aggregation = "aggregation",
        RoleRef = "role-ref",
        Subjects = "subjects",
        DefaultServiceAccount = "default-service-account",
        CrossNamespaceServiceAccount = "cross-namespace-service-account",
        EffectivePermissions = "effective-permissions",
        MissingRole = "missing-role",
        ServiceAccountChange = "service-account-change",
        PodConnect = "pod-connect",
    }
}

#[cfg(test)]
mod tests {
    use super::RuleId;

    #[test]
    fn readme_lists_every_rule() {
        let ids: Vec<_> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
        policy_common::rule::assert_readme_lists(include_str!("../README.md"), &ids);
    }
}
