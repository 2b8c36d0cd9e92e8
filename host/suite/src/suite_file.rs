//! Suite files (docs/suites.md) as written: parsing, and reading each case's request.
//! Resolving modules, worlds and limits into something runnable is the host's part
//! (`kwhost::model::suite`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::admission_request::{self, NormalisedRequest};
use crate::admission_response::PolicyMode;
use crate::document::{InputError, read_document};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SuiteFile {
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub settings: Option<Value>,
    #[serde(default)]
    pub world: Option<String>,
    #[serde(default)]
    pub replay: Option<String>,
    #[serde(default)]
    pub allow_context_aware: bool,
    #[serde(default)]
    pub mode: PolicyMode,
    #[serde(default)]
    pub allowed_to_mutate: Option<bool>,
    #[serde(default)]
    pub timeout_seconds: Option<f64>,
    #[serde(default, rename = "memoryLimitMiB")]
    pub memory_limit_mib: Option<u64>,
    #[serde(default, alias = "hostCapabilities")]
    pub allowed_host_capabilities: Option<Vec<String>>,
    /// Values that must not appear in any output of any case.
    #[serde(default)]
    pub planted_secrets: Vec<String>,
    pub cases: Vec<CaseFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseFile {
    pub name: String,
    /// Inline, or a path relative to the suite.
    pub request: Value,
    #[serde(default)]
    pub settings: Option<Value>,
    #[serde(default)]
    pub world: Option<String>,
    #[serde(default)]
    pub replay: Option<String>,
    /// Replaces the suite's allow-list for this case.
    #[serde(default, alias = "hostCapabilities")]
    pub allowed_host_capabilities: Option<Vec<String>>,
    pub expect: Expect,
}

/// What a case asserts; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub allowed: Option<bool>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub message_regex: Option<String>,
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
    #[serde(default)]
    pub warnings_contain: Option<Vec<String>>,
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub patch: Option<Value>,
    #[serde(default)]
    pub no_patch: Option<bool>,
    #[serde(default)]
    pub mutated_object: Option<Value>,
    #[serde(default)]
    pub invalid_settings: Option<String>,
    #[serde(default)]
    pub host_error: Option<String>,
}

/// A case whose inputs could not be prepared.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct CaseInputError {
    pub message: String,
    /// A file is missing or unreadable: the suite is unusable (exit 2) unless the case
    /// expects a host error.
    pub unusable: bool,
}

impl CaseInputError {
    pub fn unusable(message: String) -> Self {
        Self {
            message,
            unusable: true,
        }
    }
}

impl SuiteFile {
    /// Parses a suite's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, InputError> {
        serde_yaml::from_str(text)
            .map_err(|e| InputError::new(format!("invalid suite {origin}: {e}")))
    }
}

/// Whether a YAML file is a suite (has top-level `cases`); lets `kwhost test DIR` skip
/// world and session files stored next to suites.
pub fn looks_like_suite(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_yaml::from_str::<Value>(&text).ok())
        .is_some_and(|value| value.get("cases").is_some())
}

impl CaseFile {
    /// Where the case's request comes from, as errors name it: the request file, or the
    /// suite and the case for an inline request.
    pub fn origin(&self, base: &Path, suite_origin: &str) -> String {
        match &self.request {
            Value::String(relative) => base.join(relative).display().to_string(),
            _ => format!("{suite_origin} (case '{}')", self.name),
        }
    }

    /// The case's request, read (a path is relative to `base`) and normalised.
    pub fn load_request(
        &self,
        base: &Path,
        suite_origin: &str,
    ) -> Result<NormalisedRequest, CaseInputError> {
        let origin = self.origin(base, suite_origin);
        let document = match &self.request {
            Value::String(relative) => {
                let path = base.join(relative);
                read_document(&path).map_err(|e| CaseInputError {
                    unusable: !path.is_file(),
                    message: e.to_string(),
                })?
            }
            inline => inline.clone(),
        };
        admission_request::normalise(document, &origin).map_err(|e| CaseInputError {
            message: e.to_string(),
            unusable: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suite_needs_cases_and_knows_its_keys() {
        let suite = SuiteFile::parse("policy: p\ncases: []\n", "s.yaml").unwrap();
        assert_eq!(suite.policy.as_deref(), Some("p"));
        let error = SuiteFile::parse("policy: p\n", "s.yaml").unwrap_err();
        assert!(
            error.to_string().contains("missing field `cases`"),
            "{error}"
        );
        let error = SuiteFile::parse("cases: []\npolcy: p\n", "s.yaml").unwrap_err();
        assert!(
            error.to_string().contains("unknown field `polcy`"),
            "{error}"
        );
    }

    #[test]
    fn inline_requests_are_normalised_and_missing_files_are_unusable() {
        let suite = SuiteFile::parse(
            "cases:\n- name: c\n  request: {uid: u, operation: DELETE, kind: {group: '', version: v1, kind: Pod}, resource: {group: '', version: v1, resource: pods}, userInfo: {}}\n  expect: {}\n- name: d\n  request: no/such/file.json\n  expect: {}\n",
            "s.yaml",
        )
        .unwrap();
        let request = suite.cases[0]
            .load_request(Path::new("."), "s.yaml")
            .unwrap();
        assert_eq!(request.uid, "u");
        let error = suite.cases[1]
            .load_request(Path::new("."), "s.yaml")
            .unwrap_err();
        assert!(error.unusable, "{error}");
    }
}
