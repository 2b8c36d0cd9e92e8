//! Embedding and reading the `io.kubewarden.metadata` custom section (docs/protocol.md §5.2).
//!
//! The module is walked with `wasmparser`; every section except existing
//! `io.kubewarden.metadata` custom sections is copied verbatim with
//! `wasm_encoder::RawSection`, and one fresh `CustomSection` is appended.

use std::borrow::Cow;

use wasm_encoder::{CustomSection, Module, RawSection};
use wasmparser::{BinaryReaderError, Encoding, Parser, Payload};

use crate::metadata::{Metadata, MetadataError, ProtocolVersion, ValidationError, annotations};

/// Name of the custom section holding the compact camelCase JSON metadata.
pub const METADATA_SECTION: &str = "io.kubewarden.metadata";

/// Why a module cannot be annotated or its metadata section read. The reasons are part of
/// the message (not `source()`), so that `{:#}` through anyhow prints each one once.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    #[error("cannot annotate the policy: invalid metadata: {reason}")]
    InvalidMetadata { reason: ValidationError },
    #[error("cannot annotate the policy: cannot write the metadata as JSON: {reason}")]
    Json { reason: serde_json::Error },
    #[error("cannot parse the WebAssembly module: {reason}")]
    Wasm { reason: BinaryReaderError },
    #[error("only core WebAssembly modules can be annotated, not components")]
    Component,
    /// The section is there but is not strict policy metadata; the message names the section.
    #[error("{0}")]
    Section(MetadataError),
}

type Result<T, E = AnnotateError> = std::result::Result<T, E>;

fn wasm_error(reason: BinaryReaderError) -> AnnotateError {
    AnnotateError::Wasm { reason }
}

/// Value written to `io.kubewarden.kwctl` by [`annotate`].
pub fn annotator_version() -> String {
    format!("kwhost {}", env!("CARGO_PKG_VERSION"))
}

/// Annotates a core wasm module, like `kwctl annotate`.
///
/// * `protocol_version`: what the caller got from the module's
///   `protocol_version` op (use [`ProtocolVersion::from_guest_response`]).
///   For `kubewarden-wapc` policies it must be `V1`; other execution modes
///   get `Unknown` as kwctl does.
/// * `usage_markdown`: stored as `io.kubewarden.policy.usage` (the README).
///
/// Sets `io.kubewarden.kwctl` to `kwhost <version>`, validates, and returns
/// the module with exactly one `io.kubewarden.metadata` section (any existing
/// ones are removed, never duplicated) holding `serde_json::to_vec(&metadata)`.
pub fn annotate(
    wasm_bytes: &[u8],
    metadata: &Metadata,
    usage_markdown: Option<&str>,
    protocol_version: ProtocolVersion,
) -> Result<Vec<u8>> {
    let mut metadata = metadata.clone();
    metadata.protocol_version = Some(match metadata.execution_mode {
        crate::metadata::ExecutionMode::KubewardenWapc => protocol_version,
        _ => ProtocolVersion::Unknown,
    });
    let annots = metadata.annotations.get_or_insert_with(Default::default);
    annots.insert(annotations::KWCTL.to_string(), annotator_version());
    if let Some(usage) = usage_markdown {
        annots.insert(annotations::USAGE.to_string(), usage.to_string());
    }
    metadata
        .validate_annotated()
        .map_err(|reason| AnnotateError::InvalidMetadata { reason })?;
    let json = serde_json::to_vec(&metadata).map_err(|reason| AnnotateError::Json { reason })?;
    replace_custom_section(wasm_bytes, METADATA_SECTION, &json)
}

/// Rewrites `wasm_bytes` without any custom section named `name`, then
/// appends one custom section `name` with `data`.
pub fn replace_custom_section(wasm_bytes: &[u8], name: &str, data: &[u8]) -> Result<Vec<u8>> {
    let mut module = Module::new();
    for payload in Parser::new(0).parse_all(wasm_bytes) {
        let payload = payload.map_err(wasm_error)?;
        match &payload {
            Payload::Version { encoding, .. } => {
                if *encoding != Encoding::Module {
                    return Err(AnnotateError::Component);
                }
                continue;
            }
            Payload::CustomSection(reader) if reader.name() == name => continue,
            Payload::End(_) => break,
            _ => {}
        }
        if let Some((id, range)) = payload.as_section() {
            module.section(&RawSection {
                id,
                data: &wasm_bytes[range],
            });
        }
    }
    module.section(&CustomSection {
        name: Cow::Borrowed(name),
        data: Cow::Borrowed(data),
    });
    Ok(module.finish())
}

/// Metadata embedded in a module: the first `io.kubewarden.metadata`
/// section, as kwctl's `Metadata::from_contents`. `Ok(None)` if absent.
pub fn read_metadata(wasm_bytes: &[u8]) -> Result<Option<Metadata>> {
    for payload in Parser::new(0).parse_all(wasm_bytes) {
        if let Payload::CustomSection(reader) = payload.map_err(wasm_error)?
            && reader.name() == METADATA_SECTION
        {
            let m = Metadata::from_json_slice(reader.data(), "the io.kubewarden.metadata section")
                .map_err(AnnotateError::Section)?;
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// Raw payloads of every custom section named `name`, in module order.
pub fn custom_sections<'a>(wasm_bytes: &'a [u8], name: &str) -> Result<Vec<&'a [u8]>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm_bytes) {
        if let Payload::CustomSection(reader) = payload.map_err(wasm_error)?
            && reader.name() == name
        {
            out.push(reader.data());
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::metadata::Metadata;

    /// A tiny valid module with a function, an export, a data segment and a
    /// foreign custom section, built with wasm-encoder.
    pub fn tiny_module() -> Vec<u8> {
        use wasm_encoder::*;
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], [ValType::I32]);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut mem = MemorySection::new();
        mem.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        m.section(&mem);
        let mut exports = ExportSection::new();
        exports.export("answer", ExportKind::Func, 0);
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instructions().i32_const(42).end();
        code.function(&f);
        m.section(&code);
        let mut data = DataSection::new();
        data.active(0, &ConstExpr::i32_const(8), b"hello".iter().copied());
        m.section(&data);
        m.section(&CustomSection {
            name: "producers-like".into(),
            data: b"keep me".as_slice().into(),
        });
        m.finish()
    }

    pub fn sample_metadata() -> Metadata {
        Metadata::from_yaml_str(
            r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE"]
mutating: false
annotations:
  io.kubewarden.policy.title: tiny
  io.kubewarden.policy.source: https://github.com/example/tiny
  io.kubewarden.policy.description: "  A tiny policy  "
"#,
        )
        .unwrap()
    }

    /// Independent walk: count `io.kubewarden.metadata` sections and validate.
    fn independent_count(bytes: &[u8]) -> usize {
        wasmparser::Validator::new().validate_all(bytes).unwrap();
        let mut n = 0;
        for p in wasmparser::Parser::new(0).parse_all(bytes) {
            if let wasmparser::Payload::CustomSection(r) = p.unwrap()
                && r.name() == "io.kubewarden.metadata"
            {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn annotate_twice_keeps_one_section() {
        let wasm = tiny_module();
        assert_eq!(read_metadata(&wasm).unwrap(), None);
        let once = annotate(
            &wasm,
            &sample_metadata(),
            Some("# Usage"),
            ProtocolVersion::V1,
        )
        .unwrap();
        assert_eq!(independent_count(&once), 1);
        let twice = annotate(&once, &sample_metadata(), None, ProtocolVersion::V1).unwrap();
        assert_eq!(independent_count(&twice), 1);
        assert_eq!(
            custom_sections(&twice, "producers-like").unwrap(),
            vec![b"keep me"]
        );

        let m = read_metadata(&twice).unwrap().unwrap();
        assert_eq!(m.protocol_version, Some(ProtocolVersion::V1));
        assert_eq!(
            m.annotation(annotations::KWCTL),
            Some(annotator_version().as_str())
        );
        // Usage is not given the second time: not carried over from the old
        // section either (the metadata argument is authoritative).
        assert_eq!(m.annotation(annotations::USAGE), None);
        let raw = custom_sections(&twice, METADATA_SECTION).unwrap()[0];
        let text = std::str::from_utf8(raw).unwrap();
        assert!(text.starts_with("{\"protocolVersion\":\"v1\",\"rules\":[{\"apiGroups\""));
        assert!(!text.contains('\n'), "compact JSON expected");

        let with_usage = read_metadata(&once).unwrap().unwrap();
        assert_eq!(with_usage.annotation(annotations::USAGE), Some("# Usage"));
    }

    #[test]
    fn annotate_requires_v1_for_wapc() {
        let err = annotate(
            &tiny_module(),
            &sample_metadata(),
            None,
            ProtocolVersion::Unknown,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("protocol version"), "{err:#}");
    }

    #[test]
    fn annotate_rejects_garbage() {
        assert!(annotate(b"not wasm", &sample_metadata(), None, ProtocolVersion::V1).is_err());
    }
}
