//! The rule ids of this policy: audit annotation keys, listed in the README.

policy_common::rule_ids! {
    /// Every rule of `restart-policy`.
    pub enum RuleId {
        PodRestartPolicy = "pod-restart-policy",
        MissingRestartPolicy = "missing-restart-policy",
        JobBackoffLimit = "job-backoff-limit",
        JobPodFailurePolicy = "job-pod-failure-policy",
        JobActiveDeadline = "job-active-deadline",
        JobTtl = "job-ttl",
        ContainerRestartPolicy = "container-restart-policy",
        ContainerRestartRules = "container-restart-rules",
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
