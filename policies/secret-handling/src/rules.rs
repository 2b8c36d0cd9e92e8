//! The rule ids of this policy: audit annotation keys, listed in the README.

policy_common::rule_ids! {
    /// Every rule of `secret-handling`.
    pub enum RuleId {
        SecretEnv = "secret-env",
        SecretEnvFrom = "secret-env-from",
        SecretReference = "secret-reference",
        SecretVolume = "secret-volume",
        PlaintextCredential = "plaintext-credential",
        SecretVolumeMode = "secret-volume-mode",
        SecretMountReadonly = "secret-mount-readonly",
        SecretSubpath = "secret-subpath",
        AutomountToken = "automount-token",
        AutomountTokenUnset = "automount-token-unset",
        TokenPathMount = "token-path-mount",
        ServiceAccountAutomount = "service-account-automount",
        ServiceAccountSecrets = "service-account-secrets",
        SecretType = "secret-type",
        DockerConfig = "docker-config",
        SecretImmutable = "secret-immutable",
        SecretMetadata = "secret-metadata",
        ImagePullSecrets = "image-pull-secrets",
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
