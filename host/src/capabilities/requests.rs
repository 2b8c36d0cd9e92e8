//! Typed host-capability requests: kwctl's `CallbackRequestType` (docs/protocol.md §3.8).
//!
//! The same enum parses the guest's `__host_call` payloads (docs/protocol.md §3) and the `!Tag` strings
//! of a recorded session, so replay compares requests with `==` exactly like kwctl.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeylessInfo {
    pub issuer: String,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeylessPrefixInfo {
    pub issuer: String,
    pub url_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertificateEncoding {
    Pem,
    Der,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub encoding: CertificateEncoding,
    pub data: Vec<u8>,
}

/// `crypto/v1/is_certificate_trusted` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateVerificationRequest {
    pub cert: Certificate,
    #[serde(default)]
    pub cert_chain: Option<Vec<Certificate>>,
    /// The SDK treats `""` as absent (`optional_string_as_none`).
    #[serde(default, deserialize_with = "empty_string_as_none")]
    pub not_after: Option<String>,
}

fn empty_string_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAttributes {
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    pub resource: String,
    #[serde(default)]
    pub subresource: Option<String>,
    pub verb: String,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectAccessReview {
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    pub resource_attributes: ResourceAttributes,
    pub user: String,
}

type Annotations = Option<BTreeMap<String, String>>;

/// kwctl's `CallbackRequestType`; variant and field names are the YAML tags and keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallbackRequest {
    OciManifestDigest {
        image: String,
    },
    OciManifest {
        image: String,
    },
    OciManifestAndConfig {
        image: String,
    },
    SigstorePubKeyVerify {
        image: String,
        pub_keys: Vec<String>,
        #[serde(default)]
        annotations: Annotations,
    },
    SigstoreKeylessVerify {
        image: String,
        keyless: Vec<KeylessInfo>,
        #[serde(default)]
        annotations: Annotations,
    },
    SigstoreKeylessPrefixVerify {
        image: String,
        keyless_prefix: Vec<KeylessPrefixInfo>,
        #[serde(default)]
        annotations: Annotations,
    },
    SigstoreGithubActionsVerify {
        image: String,
        owner: String,
        #[serde(default)]
        repo: Option<String>,
        #[serde(default)]
        annotations: Annotations,
    },
    SigstoreCertificateVerify {
        image: String,
        certificate: Vec<u8>,
        #[serde(default)]
        certificate_chain: Option<Vec<Vec<u8>>>,
        require_rekor_bundle: bool,
        #[serde(default)]
        annotations: Annotations,
    },
    #[serde(rename = "DNSLookupHost")]
    DnsLookupHost {
        host: String,
    },
    KubernetesListResourceNamespace {
        api_version: String,
        kind: String,
        namespace: String,
        #[serde(default)]
        label_selector: Option<String>,
        #[serde(default)]
        field_selector: Option<String>,
        #[serde(default)]
        field_masks: Option<Vec<String>>,
    },
    KubernetesListResourceAll {
        api_version: String,
        kind: String,
        #[serde(default)]
        label_selector: Option<String>,
        #[serde(default)]
        field_selector: Option<String>,
        #[serde(default)]
        field_masks: Option<Vec<String>>,
    },
    KubernetesGetResource {
        api_version: String,
        kind: String,
        name: String,
        #[serde(default)]
        namespace: Option<String>,
        #[serde(default)]
        disable_cache: bool,
        #[serde(default)]
        field_masks: Option<Vec<String>>,
    },
    KubernetesCanI {
        request: SubjectAccessReview,
        #[serde(default)]
        disable_cache: bool,
    },
    CryptoIsCertificateTrusted {
        request: CertificateVerificationRequest,
    },
}

impl CallbackRequest {
    /// The image of an OCI or signature-verification request.
    pub fn image(&self) -> Option<&str> {
        match self {
            Self::OciManifestDigest { image }
            | Self::OciManifest { image }
            | Self::OciManifestAndConfig { image }
            | Self::SigstorePubKeyVerify { image, .. }
            | Self::SigstoreKeylessVerify { image, .. }
            | Self::SigstoreKeylessPrefixVerify { image, .. }
            | Self::SigstoreGithubActionsVerify { image, .. }
            | Self::SigstoreCertificateVerify { image, .. } => Some(image),
            _ => None,
        }
    }

    /// `(apiVersion, kind)` of a request that reads Kubernetes objects (allow-listed
    /// by contextAwareResources); `can_i` is not such a request.
    pub fn kubernetes_resource(&self) -> Option<(&str, &str)> {
        match self {
            Self::KubernetesListResourceNamespace {
                api_version, kind, ..
            }
            | Self::KubernetesListResourceAll {
                api_version, kind, ..
            }
            | Self::KubernetesGetResource {
                api_version, kind, ..
            } => Some((api_version, kind)),
            _ => None,
        }
    }

    /// The signature-verification variant name (`type` of `oci/v2/verify`).
    pub fn verify_type(&self) -> Option<&'static str> {
        Some(match self {
            Self::SigstorePubKeyVerify { .. } => "SigstorePubKeyVerify",
            Self::SigstoreKeylessVerify { .. } => "SigstoreKeylessVerify",
            Self::SigstoreKeylessPrefixVerify { .. } => "SigstoreKeylessPrefixVerify",
            Self::SigstoreGithubActionsVerify { .. } => "SigstoreGithubActionsVerify",
            Self::SigstoreCertificateVerify { .. } => "SigstoreCertificateVerify",
            _ => return None,
        })
    }
}

/// Why a `__host_call` could not be turned into a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    UnknownNamespace(String),
    UnknownOperation(String),
    /// The payload did not deserialize; the serde text is the host error.
    Payload(String),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownNamespace(ns) => write!(f, "unknown namespace: {ns}"),
            Self::UnknownOperation(op) => write!(f, "unknown operation: {op}"),
            Self::Payload(message) => f.write_str(message),
        }
    }
}

#[derive(Deserialize)]
struct ListByNamespacePayload {
    api_version: String,
    kind: String,
    namespace: String,
    #[serde(default)]
    label_selector: Option<String>,
    #[serde(default)]
    field_selector: Option<String>,
    #[serde(default)]
    field_masks: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ListAllPayload {
    api_version: String,
    kind: String,
    #[serde(default)]
    label_selector: Option<String>,
    #[serde(default)]
    field_selector: Option<String>,
    #[serde(default)]
    field_masks: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct GetResourcePayload {
    api_version: String,
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    disable_cache: bool,
    #[serde(default)]
    field_masks: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct CanIPayload {
    subject_access_review: SubjectAccessReview,
    #[serde(default)]
    disable_cache: bool,
}

fn json<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, ParseError> {
    serde_json::from_slice(payload).map_err(|e| ParseError::Payload(e.to_string()))
}

/// `oci/v2/verify` is internally tagged (`{"type": Variant, ...}`): re-tag it externally.
fn parse_v2_verify(payload: &[u8]) -> Result<CallbackRequest, ParseError> {
    let mut value: serde_json::Value = json(payload)?;
    let tag = value
        .as_object_mut()
        .and_then(|o| o.remove("type"))
        .and_then(|t| t.as_str().map(str::to_owned))
        .ok_or_else(|| ParseError::Payload("missing field `type`".into()))?;
    let request: CallbackRequest =
        serde_json::from_value(serde_json::json!({ tag.clone(): value }))
            .map_err(|e| ParseError::Payload(e.to_string()))?;
    match request.verify_type() {
        Some(_) => Ok(request),
        None => Err(ParseError::Payload(format!("unknown variant `{tag}`"))),
    }
}

/// Parses `(namespace, operation, payload)` of every capability except `tracing`.
pub fn parse(
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<CallbackRequest, ParseError> {
    use CallbackRequest as R;
    let unknown_op = || Err(ParseError::UnknownOperation(operation.to_owned()));
    match namespace {
        "oci" => match operation {
            "v1/manifest_digest" => Ok(R::OciManifestDigest {
                image: json(payload)?,
            }),
            "v1/oci_manifest" => Ok(R::OciManifest {
                image: json(payload)?,
            }),
            "v1/oci_manifest_config" => Ok(R::OciManifestAndConfig {
                image: json(payload)?,
            }),
            "v1/verify" => {
                let request: R = json(payload)?;
                match request.verify_type() {
                    Some(_) => Ok(request),
                    None => Err(ParseError::Payload(
                        "not a signature verification request".into(),
                    )),
                }
            }
            "v2/verify" => parse_v2_verify(payload),
            _ => unknown_op(),
        },
        "net" => match operation {
            "v1/dns_lookup_host" => Ok(R::DnsLookupHost {
                host: json(payload)?,
            }),
            _ => unknown_op(),
        },
        "crypto" => match operation {
            "v1/is_certificate_trusted" => Ok(R::CryptoIsCertificateTrusted {
                request: json(payload)?,
            }),
            _ => unknown_op(),
        },
        "kubernetes" => match operation {
            "list_resources_by_namespace" => {
                let p: ListByNamespacePayload = json(payload)?;
                Ok(R::KubernetesListResourceNamespace {
                    api_version: p.api_version,
                    kind: p.kind,
                    namespace: p.namespace,
                    label_selector: p.label_selector,
                    field_selector: p.field_selector,
                    field_masks: p.field_masks,
                })
            }
            "list_resources_all" => {
                let p: ListAllPayload = json(payload)?;
                Ok(R::KubernetesListResourceAll {
                    api_version: p.api_version,
                    kind: p.kind,
                    label_selector: p.label_selector,
                    field_selector: p.field_selector,
                    field_masks: p.field_masks,
                })
            }
            "get_resource" => {
                let p: GetResourcePayload = json(payload)?;
                Ok(R::KubernetesGetResource {
                    api_version: p.api_version,
                    kind: p.kind,
                    name: p.name,
                    namespace: p.namespace,
                    disable_cache: p.disable_cache,
                    field_masks: p.field_masks,
                })
            }
            "can_i" => {
                let p: CanIPayload = json(payload)?;
                Ok(R::KubernetesCanI {
                    request: p.subject_access_review,
                    disable_cache: p.disable_cache,
                })
            }
            _ => unknown_op(),
        },
        _ => Err(ParseError::UnknownNamespace(namespace.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_verify_map_to_the_same_request() {
        let v1 =
            br#"{"SigstorePubKeyVerify":{"image":"nginx","pub_keys":["k"],"annotations":null}}"#;
        let v2 = br#"{"type":"SigstorePubKeyVerify","image":"nginx","pub_keys":["k"],"annotations":null}"#;
        assert_eq!(parse("oci", "v1/verify", v1), parse("oci", "v2/verify", v2));
    }

    #[test]
    fn recorded_yaml_tag_parses() {
        let yaml = "!KubernetesGetResource\napi_version: v1\nkind: Namespace\nname: test-policy\nnamespace: null\ndisable_cache: false\n";
        let recorded: CallbackRequest = serde_yaml::from_str(yaml).unwrap();
        let live = parse(
            "kubernetes",
            "get_resource",
            br#"{"api_version":"v1","kind":"Namespace","name":"test-policy","namespace":null,"disable_cache":false}"#,
        )
        .unwrap();
        assert_eq!(recorded, live);
    }

    #[test]
    fn unknown_texts() {
        assert_eq!(
            parse("foo", "x", b"").unwrap_err().to_string(),
            "unknown namespace: foo"
        );
        assert_eq!(
            parse("oci", "v9/x", b"").unwrap_err().to_string(),
            "unknown operation: v9/x"
        );
    }
}
