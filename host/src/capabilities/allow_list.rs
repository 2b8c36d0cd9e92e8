//! Host-capability allow-list (docs/protocol.md §3.6); the patterns and the list of
//! capability paths are the metadata model's (`kwhost_artifact::host_capabilities`).

use kwhost_artifact::host_capabilities::{CapabilityPattern, UnknownCapabilityPattern};

/// Parsed allow-list. Empty means deny all; kwctl's default is `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    patterns: Vec<CapabilityPattern>,
}

impl Default for AllowList {
    fn default() -> Self {
        Self::allow_all()
    }
}

impl AllowList {
    pub fn allow_all() -> Self {
        Self {
            patterns: vec![CapabilityPattern::Any],
        }
    }

    /// Parses patterns (surrounding blanks ignored); a pattern that names no known
    /// capability is rejected.
    pub fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<Self, UnknownCapabilityPattern> {
        let patterns = patterns
            .iter()
            .map(|p| CapabilityPattern::parse(p.as_ref().trim()))
            .collect::<Result<_, _>>()?;
        Ok(Self { patterns })
    }

    pub fn allows(&self, path: &str) -> bool {
        self.patterns.iter().any(|pattern| pattern.allows(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let list = AllowList::parse(&["oci/v1/*", "kubernetes/can_i"]).unwrap();
        assert!(list.allows("oci/v1/verify"));
        assert!(!list.allows("oci/v2/verify"));
        assert!(list.allows("kubernetes/can_i"));
        assert!(!list.allows("kubernetes/get_resource"));
        assert!(AllowList::allow_all().allows("net/v1/dns_lookup_host"));
        assert!(
            !AllowList::parse::<&str>(&[])
                .unwrap()
                .allows("oci/v1/verify")
        );
    }

    #[test]
    fn unknown_segments_are_rejected() {
        assert_eq!(
            AllowList::parse(&[" oci/v3/* "]).unwrap_err().to_string(),
            "unknown host capability pattern: 'oci/v3/*'"
        );
        assert!(AllowList::parse(&["foo/*"]).is_err());
        assert!(AllowList::parse(&["kubernetes/delete"]).is_err());
        assert!(AllowList::parse(&["kubernetes/*", "net/*", "crypto/v1/*"]).is_ok());
    }
}
