//! The `io.kubewarden.metadata` custom section written by `kwctl annotate` (§5).
//!
//! Only what the test host uses is typed; other keys are ignored like kwctl does.

use serde::Deserialize;

use crate::capabilities::ContextAwareResource;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyMetadata {
    #[serde(default)]
    pub context_aware_resources: Vec<ContextAwareResource>,
    #[serde(default)]
    pub host_capabilities: Option<Vec<String>>,
    #[serde(default)]
    pub protocol_version: Option<String>,
    #[serde(default)]
    pub mutating: Option<bool>,
}

impl PolicyMetadata {
    pub fn from_section(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes)
            .map_err(|e| format!("invalid io.kubewarden.metadata section: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_camel_case() {
        let m = PolicyMetadata::from_section(
            br#"{"protocolVersion":"v1","rules":[],"mutating":false,"contextAwareResources":[{"apiVersion":"v1","kind":"Namespace"}]}"#,
        )
        .unwrap();
        assert_eq!(m.context_aware_resources[0].kind, "Namespace");
        assert_eq!(m.protocol_version.as_deref(), Some("v1"));
    }
}
