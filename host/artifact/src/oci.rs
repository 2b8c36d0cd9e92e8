//! OCI push and pull of policies (docs/protocol.md §7) with `oci-client`.
//!
//! The API is blocking: each call runs a tokio current-thread runtime.
//! Artifacts follow Kubewarden's layout: an OCI image manifest whose config
//! blob is `{}` with media type `application/vnd.wasm.config.v1+json` and one
//! layer `application/vnd.wasm.content.layer.v1+wasm` holding the module.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine as _;
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::{OciImageManifest, WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
use oci_client::{Client, ParseError, Reference};

pub use oci_client::secrets::RegistryAuth;

use crate::annotate::{AnnotateError, read_metadata};
use crate::metadata::{Metadata, annotations as a};

/// Why a push, a pull or a credentials lookup failed; each message names the reference or
/// the docker config file. Reasons are in the message, never a `source()`.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error(
        "{reference}: only registry:// references (or bare OCI references) can be pushed or pulled"
    )]
    NotARegistry { reference: String },
    #[error("invalid OCI reference {reference:?}: {reason}")]
    InvalidReference {
        reference: String,
        reason: ParseError,
    },
    /// The module's metadata section is unreadable; the message names the section.
    #[error("{0}")]
    Metadata(AnnotateError),
    #[error("Cannot push a policy without Kubewarden metadata: annotate it first")]
    NotAnnotated,
    #[error("cannot start the tokio runtime: {reason}")]
    Runtime { reason: std::io::Error },
    /// `action` says what was attempted ("cannot push to <ref>", ...); `reason` is the
    /// registry client's error with its whole chain of causes.
    #[error("{action}: {}", causes(reason))]
    Registry {
        action: String,
        reason: OciDistributionError,
    },
    #[error("{reference}: the manifest has no layer")]
    NoLayer { reference: String },
    #[error("{reference}: no image manifest")]
    NoManifest { reference: String },
    #[error("cannot read {}: {reason}", path.display())]
    ReadDockerConfig {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("{} is not valid JSON: {reason}", path.display())]
    DockerConfigJson {
        path: PathBuf,
        reason: serde_json::Error,
    },
    #[error("{}: auth for {key} is not base64: {reason}", path.display())]
    AuthNotBase64 {
        path: PathBuf,
        key: String,
        reason: base64::DecodeError,
    },
    #[error("{}: auth for {key} is not UTF-8: {reason}", path.display())]
    AuthNotUtf8 {
        path: PathBuf,
        key: String,
        reason: std::string::FromUtf8Error,
    },
    #[error("{}: auth for {key} is not user:password", path.display())]
    AuthNotUserPassword { path: PathBuf, key: String },
}

pub type Result<T, E = OciError> = std::result::Result<T, E>;

/// An error and its causes joined by ": ", as anyhow's `{:#}` prints them: the registry
/// client's top-level text alone rarely says what went wrong (e.g. a refused connection).
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

fn registry_error(action: String) -> impl FnOnce(OciDistributionError) -> OciError {
    move |reason| OciError::Registry { action, reason }
}

/// Media type of the config blob.
pub const CONFIG_MEDIA_TYPE: &str = WASM_CONFIG_MEDIA_TYPE;
/// Media type of the single wasm layer.
pub const LAYER_MEDIA_TYPE: &str = WASM_LAYER_MEDIA_TYPE;
/// Annotation added from `io.kubewarden.policy.source`.
pub const OCI_SOURCE_ANNOTATION: &str = "org.opencontainers.image.source";

/// Parses `[registry://]registry/repo[:tag][@digest]`. Other schemes
/// (`https://`, `file://`) are refused: they are not registries.
pub fn parse_reference(reference: &str) -> Result<Reference> {
    let bare = reference.strip_prefix("registry://").unwrap_or(reference);
    if bare.contains("://") {
        return Err(OciError::NotARegistry {
            reference: reference.to_owned(),
        });
    }
    Reference::from_str(bare).map_err(|reason| OciError::InvalidReference {
        reference: reference.to_owned(),
        reason,
    })
}

/// Manifest annotations derived from policy metadata, as kwctl push does:
/// multi-line values dropped (so the usage never reaches the manifest),
/// values trimmed, `org.opencontainers.image.source` added from
/// `io.kubewarden.policy.source` unless already set.
pub fn manifest_annotations(metadata: &Metadata) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in metadata.annotations.iter().flatten() {
        if v.contains('\n') {
            continue;
        }
        out.insert(k.clone(), v.trim().to_string());
    }
    if !out.contains_key(OCI_SOURCE_ANNOTATION)
        && let Some(src) = out.get(a::SOURCE).cloned()
    {
        out.insert(OCI_SOURCE_ANNOTATION.to_string(), src);
    }
    out
}

pub(crate) fn client(insecure_plain_http: bool) -> Client {
    // reqwest is built without a default rustls provider: install ring once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new(ClientConfig {
        protocol: if insecure_plain_http {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        ..Default::default()
    })
}

pub(crate) fn block_on<F: Future>(f: F) -> Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|reason| OciError::Runtime { reason })?;
    Ok(rt.block_on(f))
}

/// Pushes an annotated module; returns the immutable reference
/// `registry/repo@sha256:<manifest digest>`.
///
/// Refuses a module without `io.kubewarden.metadata` (kwctl push without
/// `--force`). `insecure_plain_http` talks plain HTTP to the registry (for
/// local test registries); otherwise HTTPS with the system roots.
pub fn push(
    wasm_bytes: &[u8],
    reference: &str,
    auth: &RegistryAuth,
    insecure_plain_http: bool,
) -> Result<String> {
    let metadata = read_metadata(wasm_bytes)
        .map_err(OciError::Metadata)?
        .ok_or(OciError::NotAnnotated)?;
    let reference = parse_reference(reference)?;
    let annotations = manifest_annotations(&metadata);
    let layers = vec![ImageLayer::new(
        wasm_bytes.to_vec(),
        LAYER_MEDIA_TYPE.to_string(),
        None,
    )];
    let config = Config::new(b"{}".to_vec(), CONFIG_MEDIA_TYPE.to_string(), None);
    let manifest = OciImageManifest::build(
        &layers,
        &config,
        (!annotations.is_empty()).then_some(annotations),
    );
    let client = client(insecure_plain_http);
    let digest = block_on(async {
        client
            .push(&reference, &layers, config, auth, Some(manifest))
            .await
            .map_err(registry_error(format!(
                "cannot push to {}",
                reference.whole()
            )))?;
        client
            .fetch_manifest_digest(&reference, auth)
            .await
            .map_err(registry_error(format!(
                "cannot read back the manifest digest of {}",
                reference.whole()
            )))
    })??;
    Ok(format!(
        "{}/{}@{}",
        reference.registry(),
        reference.repository(),
        digest
    ))
}

/// What [`pull_artifact`] returns.
#[derive(Debug, Clone)]
pub struct PulledPolicy {
    /// Bytes of the first wasm layer.
    pub wasm: Vec<u8>,
    pub manifest: OciImageManifest,
    /// Config blob bytes (`{}` for Kubewarden policies).
    pub config: Vec<u8>,
    pub config_media_type: String,
    /// Manifest digest (`sha256:…`).
    pub digest: Option<String>,
}

/// Pulls a policy, accepting only wasm layers, and returns the first one.
pub fn pull(reference: &str, auth: &RegistryAuth, insecure_plain_http: bool) -> Result<Vec<u8>> {
    Ok(pull_artifact(reference, auth, insecure_plain_http)?.wasm)
}

/// [`pull`] plus the manifest, config and digest.
pub fn pull_artifact(
    reference: &str,
    auth: &RegistryAuth,
    insecure_plain_http: bool,
) -> Result<PulledPolicy> {
    let reference = parse_reference(reference)?;
    let client = client(insecure_plain_http);
    let image = block_on(client.pull(&reference, auth, vec![LAYER_MEDIA_TYPE]))?
        .map_err(registry_error(format!("cannot pull {}", reference.whole())))?;
    let layer = image
        .layers
        .into_iter()
        .next()
        .ok_or_else(|| OciError::NoLayer {
            reference: reference.whole(),
        })?;
    let manifest = image.manifest.ok_or_else(|| OciError::NoManifest {
        reference: reference.whole(),
    })?;
    Ok(PulledPolicy {
        wasm: layer.data.to_vec(),
        manifest,
        config: image.config.data.to_vec(),
        config_media_type: image.config.media_type,
        digest: image.digest,
    })
}

/// Path of the docker config: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// Credentials for `reference`'s registry from the docker config
/// ([`docker_config_path`]); `Anonymous` if there is no file or no entry.
pub fn registry_auth_for(reference: &str) -> Result<RegistryAuth> {
    let r = parse_reference(reference)?;
    match docker_config_path() {
        Some(p) if p.exists() => registry_auth_from_docker_config(&p, r.registry()),
        _ => Ok(RegistryAuth::Anonymous),
    }
}

/// Looks `registry` up in a docker `config.json` `auths` map. Keys may carry
/// a scheme and path (`https://index.docker.io/v1/`); `docker.io` matches
/// `index.docker.io`. Entries use the base64 `auth` field (`user:password`)
/// or `username`/`password`; `identitytoken` is sent as a bearer token.
/// Credential helpers are not supported (anonymous is used).
pub fn registry_auth_from_docker_config(path: &Path, registry: &str) -> Result<RegistryAuth> {
    let text = std::fs::read_to_string(path).map_err(|reason| OciError::ReadDockerConfig {
        path: path.to_path_buf(),
        reason,
    })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|reason| OciError::DockerConfigJson {
            path: path.to_path_buf(),
            reason,
        })?;
    let normalize = |s: &str| -> String {
        let s = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        let host = s.split('/').next().unwrap_or(s).to_ascii_lowercase();
        match host.as_str() {
            "docker.io" | "registry-1.docker.io" => "index.docker.io".to_string(),
            _ => host,
        }
    };
    let wanted = normalize(registry);
    let Some(auths) = json.get("auths").and_then(|v| v.as_object()) else {
        return Ok(RegistryAuth::Anonymous);
    };
    for (key, entry) in auths {
        if normalize(key) != wanted {
            continue;
        }
        if let Some(encoded) = entry.get("auth").and_then(|v| v.as_str())
            && !encoded.is_empty()
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|reason| OciError::AuthNotBase64 {
                    path: path.to_path_buf(),
                    key: key.clone(),
                    reason,
                })?;
            let decoded = String::from_utf8(decoded).map_err(|reason| OciError::AuthNotUtf8 {
                path: path.to_path_buf(),
                key: key.clone(),
                reason,
            })?;
            let (user, pass) =
                decoded
                    .split_once(':')
                    .ok_or_else(|| OciError::AuthNotUserPassword {
                        path: path.to_path_buf(),
                        key: key.clone(),
                    })?;
            return Ok(RegistryAuth::Basic(user.to_string(), pass.to_string()));
        }
        if let (Some(u), Some(p)) = (
            entry.get("username").and_then(|v| v.as_str()),
            entry.get("password").and_then(|v| v.as_str()),
        ) {
            return Ok(RegistryAuth::Basic(u.to_string(), p.to_string()));
        }
        if let Some(t) = entry.get("identitytoken").and_then(|v| v.as_str()) {
            return Ok(RegistryAuth::Bearer(t.to_string()));
        }
    }
    Ok(RegistryAuth::Anonymous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::tests::{sample_metadata, tiny_module};

    #[test]
    fn references() {
        let r = parse_reference("registry://127.0.0.1:5000/policies/x:v1").unwrap();
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "policies/x");
        assert_eq!(r.tag(), Some("v1"));
        assert!(parse_reference("https://example.com/x.wasm").is_err());
        assert!(parse_reference("ghcr.io/a/b:v1").is_ok());
    }

    #[test]
    fn annotations_for_manifest() {
        let mut m = sample_metadata();
        m.annotations
            .as_mut()
            .unwrap()
            .insert(a::USAGE.into(), "line1\nline2".into());
        let ann = manifest_annotations(&m);
        assert!(!ann.contains_key(a::USAGE));
        assert_eq!(ann[a::DESCRIPTION], "A tiny policy");
        assert_eq!(
            ann[OCI_SOURCE_ANNOTATION],
            "https://github.com/example/tiny"
        );
    }

    #[test]
    fn push_refuses_unannotated() {
        let err = push(
            &tiny_module(),
            "127.0.0.1:1/x:v1",
            &RegistryAuth::Anonymous,
            true,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("without Kubewarden metadata"),
            "{err}"
        );
    }

    #[test]
    fn docker_config_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cr:et");
        std::fs::write(
            &p,
            format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},"localhost:5000":{{"username":"bob","password":"pw"}}}}}}"#
            ),
        )
        .unwrap();
        assert_eq!(
            registry_auth_from_docker_config(&p, "docker.io").unwrap(),
            RegistryAuth::Basic("alice".into(), "s3cr:et".into())
        );
        assert_eq!(
            registry_auth_from_docker_config(&p, "localhost:5000").unwrap(),
            RegistryAuth::Basic("bob".into(), "pw".into())
        );
        assert_eq!(
            registry_auth_from_docker_config(&p, "ghcr.io").unwrap(),
            RegistryAuth::Anonymous
        );
    }
}
