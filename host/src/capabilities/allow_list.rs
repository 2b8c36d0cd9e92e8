//! Host-capability allow-list (contract §3.6, KC `host_capabilities.rs`).

/// Every capability path `"{namespace}/{operation}"` that can be granted.
pub use kwhost_artifact::metadata::CAPABILITY_PATHS;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Any,
    /// `ns/*` or `ns/v1/*`, stored without the `*`.
    Prefix(String),
    Exact(String),
}

/// Parsed allow-list. Empty means deny all; kwctl's default is `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    patterns: Vec<Pattern>,
}

impl Default for AllowList {
    fn default() -> Self {
        Self::allow_all()
    }
}

impl AllowList {
    pub fn allow_all() -> Self {
        Self {
            patterns: vec![Pattern::Any],
        }
    }

    /// Parses patterns; a pattern that names no known capability is rejected.
    pub fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<Self, String> {
        let patterns = patterns
            .iter()
            .map(|p| parse_pattern(p.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self { patterns })
    }

    pub fn allows(&self, path: &str) -> bool {
        self.patterns.iter().any(|pattern| match pattern {
            Pattern::Any => true,
            Pattern::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Pattern::Exact(exact) => path == exact,
        })
    }
}

fn parse_pattern(pattern: &str) -> Result<Pattern, String> {
    let pattern = pattern.trim();
    if pattern == "*" {
        return Ok(Pattern::Any);
    }
    if let Some(prefix) = pattern.strip_suffix("/*") {
        let prefix = format!("{prefix}/");
        if CAPABILITY_PATHS
            .iter()
            .any(|path| path.starts_with(&prefix))
        {
            return Ok(Pattern::Prefix(prefix));
        }
    } else if CAPABILITY_PATHS.contains(&pattern) {
        return Ok(Pattern::Exact(pattern.to_owned()));
    }
    Err(format!("unknown host capability pattern: '{pattern}'"))
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
        assert!(AllowList::parse(&["oci/v3/*"]).is_err());
        assert!(AllowList::parse(&["foo/*"]).is_err());
        assert!(AllowList::parse(&["kubernetes/delete"]).is_err());
        assert!(AllowList::parse(&["kubernetes/*", "net/*", "crypto/v1/*"]).is_ok());
    }
}
