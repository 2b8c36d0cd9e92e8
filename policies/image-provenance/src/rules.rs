//! The rule ids of this policy: audit annotation keys, quoted in messages, listed in the README.

policy_common::rule_ids! {
    /// Every rule of `image-provenance`.
    pub enum RuleId {
        ImageReference = "image-reference",
        Registry = "registry",
        Repository = "repository",
        Tag = "tag",
        DigestPinning = "digest-pinning",
        Digest = "digest",
        Signature = "signature",
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
