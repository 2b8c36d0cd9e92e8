//! Host capabilities a policy can be granted (docs/protocol.md §3.6): the one list of
//! capability paths, and the patterns that name them. Metadata validation
//! (`hostCapabilities`) and the host's allow-list both parse patterns here.

/// Every capability path `"{namespace}/{operation}"` that can be granted.
pub const CAPABILITY_PATHS: &[&str] = &[
    "oci/v1/manifest_digest",
    "oci/v1/oci_manifest",
    "oci/v1/oci_manifest_config",
    "oci/v1/verify",
    "oci/v2/verify",
    "net/v1/dns_lookup_host",
    "crypto/v1/is_certificate_trusted",
    "kubernetes/list_resources_by_namespace",
    "kubernetes/list_resources_all",
    "kubernetes/get_resource",
    "kubernetes/can_i",
];

/// One pattern of an allow-list, as in Kubewarden's `policy-evaluator`
/// (`crates/policy-evaluator/src/policy_evaluator/host_capabilities.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapabilityPattern {
    /// `*`: every capability.
    Any,
    /// `ns/*` or `ns/v1/*`, stored with its trailing `/` and without the `*`.
    Prefix(String),
    /// One path of [`CAPABILITY_PATHS`].
    Exact(String),
}

/// A pattern that names no capability of [`CAPABILITY_PATHS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown host capability pattern: '{pattern}'")]
pub struct UnknownCapabilityPattern {
    pub pattern: String,
}

impl CapabilityPattern {
    /// `*`, a known path, or a prefix ending in `/*` of at least one known path.
    pub fn parse(pattern: &str) -> Result<Self, UnknownCapabilityPattern> {
        if pattern == "*" {
            return Ok(Self::Any);
        }
        if let Some(prefix) = pattern.strip_suffix("/*") {
            let prefix = format!("{prefix}/");
            if prefix.len() > 1 && CAPABILITY_PATHS.iter().any(|p| p.starts_with(&prefix)) {
                return Ok(Self::Prefix(prefix));
            }
        } else if CAPABILITY_PATHS.contains(&pattern) {
            return Ok(Self::Exact(pattern.to_owned()));
        }
        Err(UnknownCapabilityPattern {
            pattern: pattern.to_owned(),
        })
    }

    /// Whether the capability `path` (`"{namespace}/{operation}"`) is granted.
    pub fn allows(&self, path: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Self::Exact(exact) => path == exact,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_patterns() {
        for ok in [
            "*",
            "oci/*",
            "oci/v1/*",
            "kubernetes/can_i",
            "oci/v2/verify",
        ] {
            CapabilityPattern::parse(ok).unwrap();
        }
        for bad in ["", "foo/*", "oci/v3/*", "kubernetes/delete", "/*"] {
            let error = CapabilityPattern::parse(bad).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("unknown host capability pattern: '{bad}'")
            );
        }
    }

    #[test]
    fn prefixes_stop_at_segments() {
        let v1 = CapabilityPattern::parse("oci/v1/*").unwrap();
        assert!(v1.allows("oci/v1/verify"));
        assert!(!v1.allows("oci/v2/verify"));
        assert!(CapabilityPattern::Any.allows("net/v1/dns_lookup_host"));
    }
}
