//! The two host capabilities this policy uses, behind a trait so the rule logic is unit-tested
//! natively with a fake.

use crate::settings::Verifier;
use std::collections::BTreeMap;

/// Why the host gave no answer a policy can use: the host's own words when the capability call
/// failed, or that it did not trust the image. A message, not an enum, so that the wasm module
/// carries no `Display` for it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HostError(pub String);

pub trait Host {
    /// `oci/v1/manifest_digest`: the digest `image` currently resolves to.
    fn manifest_digest(&self, image: &str) -> Result<String, HostError>;

    /// `oci/v2/verify`: the verified digest, or why verification failed (the host reports a
    /// failed verification as an error).
    fn verify(
        &self,
        image: &str,
        verifier: &Verifier,
        annotations: Option<&BTreeMap<String, String>>,
    ) -> Result<String, HostError>;
}

/// The waPC host, through the SDK.
pub struct WapcHost;

/// The host's own words, without the SDK's "error invoking host capability …: Host error:"
/// wrapping, so messages stay short.
fn host_error(e: kubewarden_policy_sdk::error::Error) -> HostError {
    use kubewarden_policy_sdk::error::Error;
    let text = match e {
        Error::HostCall { source, .. } => source.to_string(),
        other => other.to_string(),
    };
    HostError(
        text.strip_prefix("Host error: ")
            .unwrap_or(&text)
            .to_owned(),
    )
}

impl Host for WapcHost {
    fn manifest_digest(&self, image: &str) -> Result<String, HostError> {
        kubewarden_policy_sdk::host_capabilities::oci::get_manifest_digest(image)
            .map(|r| r.digest)
            .map_err(host_error)
    }

    fn verify(
        &self,
        image: &str,
        verifier: &Verifier,
        annotations: Option<&BTreeMap<String, String>>,
    ) -> Result<String, HostError> {
        use kubewarden_policy_sdk::host_capabilities::verification::{
            KeylessInfo, KeylessPrefixInfo, verify_certificate, verify_keyless_exact_match,
            verify_keyless_github_actions, verify_keyless_prefix_match, verify_pub_keys_image,
        };
        let annotations = annotations.cloned();
        let response = match verifier {
            Verifier::PubKey(key) => verify_pub_keys_image(image, vec![key.clone()], annotations),
            Verifier::Keyless(k) => verify_keyless_exact_match(
                image,
                vec![KeylessInfo {
                    issuer: k.issuer.clone(),
                    subject: k.subject.clone(),
                }],
                annotations,
            ),
            Verifier::KeylessPrefix(k) => verify_keyless_prefix_match(
                image,
                vec![KeylessPrefixInfo {
                    issuer: k.issuer.clone(),
                    url_prefix: k.url_prefix.clone(),
                }],
                annotations,
            ),
            Verifier::GithubActions(g) => {
                verify_keyless_github_actions(image, g.owner.clone(), g.repo.clone(), annotations)
            }
            Verifier::Certificate(c) => verify_certificate(
                image,
                c.certificate.clone(),
                c.certificate_chain.clone(),
                c.require_rekor_bundle,
                annotations,
            ),
        }
        .map_err(host_error)?;
        if response.is_trusted {
            Ok(response.digest)
        } else {
            Err(HostError(
                "the host reported the image as not trusted".to_owned(),
            ))
        }
    }
}
