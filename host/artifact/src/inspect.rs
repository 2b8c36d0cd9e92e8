//! `inspect` rendering (docs/protocol.md §5.3): kwctl's pretty layout as plain text, or YAML.

use std::fmt::Write as _;

use crate::annotate::{AnnotateError, read_metadata};
use crate::metadata::{ExecutionMode, Metadata, annotations};

/// Output format of [`inspect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Sections Details / Annotations / Rules / Context Aware / Usage.
    #[default]
    Pretty,
    /// `serde_yaml` of the metadata (`-o yaml`).
    Yaml,
}

impl std::str::FromStr for OutputFormat {
    type Err = InspectError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "yaml" => Ok(OutputFormat::Yaml),
            "pretty" => Ok(OutputFormat::Pretty),
            other => Err(InspectError::OutputFormat {
                format: other.to_owned(),
            }),
        }
    }
}

/// Why a module's metadata cannot be shown; kwctl's texts where kwctl has one.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("Invalid output format '{format}'")]
    OutputFormat { format: String },
    #[error("Error parsing policy metadata: {reason}")]
    Metadata { reason: AnnotateError },
    #[error(
        "No Kubewarden metadata found inside of '{file}'.\nPolicies can be annotated with the `kwhost annotate` command."
    )]
    NoMetadata { file: String },
    #[error("Invalid policy: protocol_version not defined")]
    NoProtocolVersion,
    #[error("cannot write the policy metadata as YAML: {reason}")]
    Yaml { reason: serde_yaml::Error },
    /// Writing into a `String` does not fail; kept so that `write!` needs no `unwrap`.
    #[error("cannot format the policy metadata: {reason}")]
    Format { reason: std::fmt::Error },
}

impl From<serde_yaml::Error> for InspectError {
    fn from(reason: serde_yaml::Error) -> Self {
        InspectError::Yaml { reason }
    }
}

impl From<std::fmt::Error> for InspectError {
    fn from(reason: std::fmt::Error) -> Self {
        InspectError::Format { reason }
    }
}

type Result<T, E = InspectError> = std::result::Result<T, E>;

/// Renders the metadata embedded in `wasm_bytes`. `file` is only used in the
/// error message when the module carries no metadata:
/// `No Kubewarden metadata found inside of '<file>'.` (plus a hint line).
pub fn inspect(wasm_bytes: &[u8], file: &str, format: OutputFormat) -> Result<String> {
    let metadata = read_metadata(wasm_bytes)
        .map_err(|reason| InspectError::Metadata { reason })?
        .ok_or_else(|| InspectError::NoMetadata {
            file: file.to_owned(),
        })?;
    match format {
        OutputFormat::Yaml => render_yaml(&metadata),
        OutputFormat::Pretty => render_pretty(&metadata),
    }
}

/// `-o yaml`: the metadata serialised with `serde_yaml`.
pub fn render_yaml(metadata: &Metadata) -> Result<String> {
    Ok(serde_yaml::to_string(metadata)?)
}

/// kwctl's pretty layout, without colours (the text is what kwctl prints
/// when stdout is not a terminal, modulo table padding).
pub fn render_pretty(metadata: &Metadata) -> Result<String> {
    let protocol_version = metadata
        .protocol_version
        .ok_or(InspectError::NoProtocolVersion)?;
    let mut annots = metadata.annotations.clone().unwrap_or_default();

    // One table, as in kwctl: Details, then Annotations.
    let mut rows: Vec<(String, String)> = vec![("Details".into(), String::new())];
    for key in [
        annotations::TITLE,
        annotations::DESCRIPTION,
        annotations::AUTHOR,
        annotations::URL,
        annotations::SOURCE,
        annotations::LICENSE,
    ] {
        if let Some(v) = annots.remove(key) {
            let short = key.trim_start_matches("io.kubewarden.policy.");
            rows.push((format!("{short}:"), v));
        }
    }
    rows.push(("mutating:".into(), metadata.mutating.to_string()));
    rows.push((
        "background audit support:".into(),
        metadata.background_audit.to_string(),
    ));
    rows.push((
        "context aware:".into(),
        (!metadata.context_aware_resources.is_empty()).to_string(),
    ));
    rows.push(("policy type:".into(), metadata.policy_type.to_string()));
    rows.push((
        "execution mode:".into(),
        metadata.execution_mode.to_string(),
    ));
    if metadata.execution_mode == ExecutionMode::KubewardenWapc {
        rows.push(("protocol version:".into(), protocol_version.to_string()));
    }
    if let Some(v) = &metadata.minimum_kubewarden_version {
        rows.push(("minimum kubewarden version:".into(), v.clone()));
    }
    let usage = annots.remove(annotations::USAGE);
    if !annots.is_empty() {
        rows.push((String::new(), String::new()));
        rows.push(("Annotations".into(), String::new()));
        rows.extend(annots);
    }
    let width = rows
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in &rows {
        if v.is_empty() {
            writeln!(out, "{k}")?;
        } else {
            // Multi-line values keep their continuation lines aligned.
            let pad = " ".repeat(width + 1);
            let v = v.replace('\n', &format!("\n{pad}"));
            writeln!(out, "{k:<width$} {v}")?;
        }
    }

    writeln!(out)?;
    writeln!(out, "Rules")?;
    write!(
        out,
        "```yaml\n{}```\n",
        serde_yaml::to_string(&metadata.rules)?
    )?;

    if !metadata.context_aware_resources.is_empty() {
        writeln!(out)?;
        writeln!(out, "Context Aware")?;
        writeln!(
            out,
            "The policy requires access to the following Kubernetes resources at evaluation time:"
        )?;
        write!(
            out,
            "```yaml\n{}```\n",
            serde_yaml::to_string(&metadata.context_aware_resources)?
        )?;
        writeln!(
            out,
            "To avoid abuses, review carefully what the policy requires access to."
        )?;
    }

    if let Some(usage) = usage {
        writeln!(out)?;
        writeln!(out, "Usage")?;
        writeln!(out, "---\n{}\n---", usage.trim_end())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::annotate;
    use crate::annotate::tests::{sample_metadata, tiny_module};
    use crate::metadata::{ContextAwareResource, ProtocolVersion};

    #[test]
    fn no_metadata_error() {
        let err = inspect(&tiny_module(), "dist/x.wasm", OutputFormat::Pretty).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("No Kubewarden metadata found inside of 'dist/x.wasm'"),
            "{err}"
        );
    }

    #[test]
    fn pretty_sections() {
        let mut m = sample_metadata();
        m.context_aware_resources.insert(ContextAwareResource {
            api_version: "v1".into(),
            kind: "Namespace".into(),
        });
        m.annotations
            .as_mut()
            .unwrap()
            .insert("io.kubewarden.policy.severity".into(), "medium".into());
        let wasm = annotate(
            &tiny_module(),
            &m,
            Some("# Tiny\nDoes nothing."),
            ProtocolVersion::V1,
        )
        .unwrap();
        let text = inspect(&wasm, "x.wasm", OutputFormat::Pretty).unwrap();
        for needle in [
            "Details\n",
            "title:",
            "mutating:",
            "policy type:",
            "\nAnnotations\n",
            "io.kubewarden.policy.severity",
            "io.kubewarden.kwctl",
            "\nRules\n```yaml\n- apiGroups:",
            "\nContext Aware\n",
            "kind: Namespace",
            "\nUsage\n---\n# Tiny\nDoes nothing.\n---\n",
        ] {
            assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
        }
        let squeezed: String = text
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n");
        for line in [
            "background audit support: true",
            "context aware: true",
            "execution mode: kubewarden-wapc",
            "protocol version: v1",
            "io.kubewarden.policy.severity medium",
        ] {
            assert!(squeezed.contains(line), "{line:?} missing in:\n{text}");
        }
        // The usage is not repeated among the annotations.
        assert!(!text.contains("io.kubewarden.policy.usage"));

        let yaml = inspect(&wasm, "x.wasm", OutputFormat::Yaml).unwrap();
        let back: Metadata = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(back.protocol_version, Some(ProtocolVersion::V1));
        assert!(yaml.contains("protocolVersion: v1"));
    }
}
