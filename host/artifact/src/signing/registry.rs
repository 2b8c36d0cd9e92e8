//! Signatures in the registry, stored as cosign stores them: for a manifest `sha256:<hex>`, an
//! OCI image manifest tagged `sha256-<hex>.sig` in the same repository, one layer per signature,
//! each a simple-signing payload (`application/vnd.dev.cosign.simplesigning.v1+json`) naming
//! the signed digest, its base64 ECDSA signature in the layer annotation
//! `dev.cosignproject.cosign/signature`. The payloads are built, signed, read back and checked
//! by the `sigstore` crate; this module moves them to and from the registry.

use std::collections::BTreeMap;
use std::str::FromStr;

use oci_client::client::{Config, ImageLayer};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::OciImageManifest;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sigstore::cosign::constraint::{AnnotationMarker, PrivateKeySigner};
use sigstore::cosign::verification_constraint::{
    AnnotationVerifier, PublicKeyVerifier, VerificationConstraint,
};
use sigstore::cosign::{
    ClientBuilder, Constraint, CosignCapabilities, SignatureLayer, apply_constraints,
};
use sigstore::crypto::{SigStoreSigner, SigningScheme};
use sigstore::registry::{
    Auth, ClientConfig as SigstoreClientConfig, ClientProtocol, OciReference,
};

use super::SigningError;
use super::config::{SignatureRequirement, VerificationConfig, pairs};
use crate::oci::{block_on, client, parse_reference};

/// Media type of a cosign simple-signing layer.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Layer annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

fn registry_error(action: String) -> impl FnOnce(OciDistributionError) -> SigningError {
    move |e| SigningError::Registry(format!("{action}: {e}"))
}

fn is_not_found(error: &OciDistributionError) -> bool {
    match error {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown
            )
        }),
        OciDistributionError::ServerError { code, .. } => *code == 404,
        _ => false,
    }
}

/// The `sha256-<hex>.sig` reference of `digest` in `reference`'s repository.
pub fn signature_reference(reference: &Reference, digest: &str) -> Reference {
    Reference::with_tag(
        reference.registry().to_owned(),
        reference.repository().to_owned(),
        format!("{}.sig", digest.replace(':', "-")),
    )
}

fn sigstore_auth(auth: &RegistryAuth) -> Auth {
    match auth {
        RegistryAuth::Anonymous => Auth::Anonymous,
        RegistryAuth::Basic(user, password) => Auth::Basic(user.clone(), password.clone()),
        RegistryAuth::Bearer(token) => Auth::Bearer(token.clone()),
    }
}

/// The signature manifest's layers as stored (empty when there is none yet).
async fn stored_layers(
    client: &Client,
    signatures: &Reference,
    auth: &RegistryAuth,
) -> Result<Vec<ImageLayer>, SigningError> {
    match client
        .pull(signatures, auth, vec![SIMPLE_SIGNING_MEDIA_TYPE])
        .await
    {
        Ok(image) => Ok(image.layers),
        Err(e) if is_not_found(&e) => Ok(Vec::new()),
        Err(e) => Err(registry_error(format!(
            "cannot read {}",
            signatures.whole()
        ))(e)),
    }
}

/// What [`sign`] did.
pub struct Signed {
    /// The manifest digest that was signed.
    pub digest: String,
    /// Where the signature is: `registry/repo:sha256-<hex>.sig`.
    pub signatures: String,
}

/// Signs the manifest `reference` points at (its digest, not the tag) and adds the signature
/// to the others of that digest, as `cosign sign --key` does with `--tlog-upload=false`.
pub fn sign(
    reference: &str,
    signer: SigStoreSigner,
    annotations: &BTreeMap<String, String>,
    auth: &RegistryAuth,
    insecure_plain_http: bool,
) -> Result<Signed, SigningError> {
    let reference =
        parse_reference(reference).map_err(|e| SigningError::Registry(e.to_string()))?;
    let client = client(insecure_plain_http);
    block_on(async {
        let digest = client
            .fetch_manifest_digest(&reference, auth)
            .await
            .map_err(registry_error(format!(
                "cannot resolve {}",
                reference.whole()
            )))?;
        // The payload's docker-reference is the reference as given (cosign writes the
        // repository); verifiers check the digest, not this name.
        let image = OciReference::from_str(&reference.whole())
            .map_err(|e| SigningError::Registry(e.to_string()))?;
        let mut layer = SignatureLayer::new_unsigned(&image, &digest)
            .map_err(|e| SigningError::Registry(format!("cannot build the payload: {e}")))?;
        let constraints: Vec<Box<dyn Constraint>> = vec![
            Box::new(AnnotationMarker::new(
                annotations.clone().into_iter().collect(),
            )),
            Box::new(PrivateKeySigner::new_with_signer(signer)),
        ];
        apply_constraints(&mut layer, constraints.iter())
            .map_err(|_| SigningError::Key("cannot sign the payload".to_owned()))?;
        let signature = layer
            .signature
            .clone()
            .ok_or_else(|| SigningError::Key("cannot sign the payload".to_owned()))?;
        let payload = serde_json::to_vec(&layer.simple_signing)
            .map_err(|e| SigningError::Registry(format!("cannot write the payload: {e}")))?;
        let new_layer = ImageLayer::new(
            payload,
            SIMPLE_SIGNING_MEDIA_TYPE.to_owned(),
            Some(BTreeMap::from([(
                SIGNATURE_ANNOTATION.to_owned(),
                signature,
            )])),
        );
        let signatures = signature_reference(&reference, &digest);
        let mut layers = stored_layers(&client, &signatures, auth).await?;
        if !layers
            .iter()
            .any(|l| l.data == new_layer.data && l.annotations == new_layer.annotations)
        {
            layers.push(new_layer);
        }
        let config = Config::oci_v1(b"{}".to_vec(), None);
        let mut manifest = OciImageManifest::build(&layers, &config, None);
        manifest.media_type = Some(oci_client::manifest::OCI_IMAGE_MEDIA_TYPE.to_owned());
        client
            .push(&signatures, &layers, config, auth, Some(manifest))
            .await
            .map_err(registry_error(format!(
                "cannot push {}",
                signatures.whole()
            )))?;
        Ok(Signed {
            digest,
            signatures: signatures.whole(),
        })
    })
    .map_err(|e| SigningError::Registry(e.to_string()))?
}

/// Why a stored layer is not a signature of `digest`, for the refusal's message.
fn why_invalid(layer: &ImageLayer, digest: &str) -> String {
    let payload: Option<serde_json::Value> = serde_json::from_slice(&layer.data).ok();
    let signed = payload
        .as_ref()
        .and_then(|p| p.pointer("/critical/image/docker-manifest-digest"))
        .and_then(serde_json::Value::as_str);
    let has_signature = layer
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(SIGNATURE_ANNOTATION));
    match signed {
        None => "a malformed layer (not a simple-signing payload)".to_owned(),
        Some(other) if other != digest => {
            format!("a signature of {other}, another module: this one changed after it was signed")
        }
        Some(_) if !has_signature => "a payload without its signature annotation".to_owned(),
        Some(_) => "a payload whose signature is not valid base64 ECDSA".to_owned(),
    }
}

/// A module that passed verification, bound to the digest that was verified: pull it by
/// [`Verified::pinned`], never by its tag again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub digest: String,
    /// `registry/repo@sha256:<hex>`.
    pub pinned: String,
}

/// What one requirement of the config found among the signatures.
enum Finding {
    Satisfied,
    NotSignedByKey,
    MissingAnnotations(BTreeMap<String, String>),
}

fn check(
    requirement: &SignatureRequirement,
    layers: &[SignatureLayer],
) -> Result<Finding, SigningError> {
    let SignatureRequirement::PubKey {
        key, annotations, ..
    } = requirement
    else {
        return Err(SigningError::Config(
            "only kind pubKey is verified".to_owned(),
        ));
    };
    let by_key = PublicKeyVerifier::new(key.as_bytes(), &SigningScheme::ECDSA_P256_SHA256_ASN1)
        .map_err(|e| SigningError::Config(format!("{}: {e}", requirement.describe())))?;
    let wanted = AnnotationVerifier {
        annotations: annotations.clone().unwrap_or_default(),
    };
    let signed: Vec<&SignatureLayer> = layers
        .iter()
        .filter(|l| by_key.verify(l).unwrap_or(false))
        .collect();
    Ok(if signed.is_empty() {
        Finding::NotSignedByKey
    } else if signed.iter().any(|l| wanted.verify(l).unwrap_or(false)) {
        Finding::Satisfied
    } else {
        Finding::MissingAnnotations(wanted.annotations)
    })
}

fn explain(place: &str, requirement: &SignatureRequirement, finding: &Finding) -> String {
    match finding {
        Finding::Satisfied => format!("{place} ({}): satisfied", requirement.describe()),
        Finding::NotSignedByKey => {
            format!(
                "{place} ({}): no signature by this key",
                requirement.describe()
            )
        }
        Finding::MissingAnnotations(wanted) => format!(
            "{place} ({}): signed by this key, but no signature of it carries {}",
            requirement.describe(),
            pairs(wanted)
        ),
    }
}

/// Verifies the module `reference` points at against `config`: the signatures stored for its
/// digest, checked by the `sigstore` crate (the payload names this digest, the signature
/// verifies under the key), then every `allOf` requirement and `minimumMatches` of `anyOf`.
/// The error names each requirement that failed.
pub fn verify(
    reference: &str,
    config: &VerificationConfig,
    auth: &RegistryAuth,
    insecure_plain_http: bool,
) -> Result<Verified, SigningError> {
    let parsed = parse_reference(reference).map_err(|e| SigningError::Registry(e.to_string()))?;
    let client = client(insecure_plain_http);
    block_on(async {
        let digest = client
            .fetch_manifest_digest(&parsed, auth)
            .await
            .map_err(registry_error(format!("cannot resolve {}", parsed.whole())))?;
        let pinned = format!("{}/{}@{digest}", parsed.registry(), parsed.repository());
        let signatures = signature_reference(&parsed, &digest);
        // A HEAD of the signature tag: the layers themselves are read once, by the crate, and
        // again only to explain a refusal.
        match client.fetch_manifest_digest(&signatures, auth).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {
                return Err(SigningError::Refused(format!(
                    "{pinned}: not signed: no signature is stored for this digest ({} does not exist)",
                    signatures.whole()
                )));
            }
            Err(e) => return Err(registry_error(format!("cannot read {}", signatures.whole()))(e)),
        }
        let mut cosign = ClientBuilder::default()
            .with_oci_client_config(SigstoreClientConfig {
                protocol: if insecure_plain_http {
                    ClientProtocol::Http
                } else {
                    ClientProtocol::Https
                },
                ..Default::default()
            })
            .build()
            .map_err(|e| SigningError::Registry(e.to_string()))?;
        let image =
            OciReference::from_str(&pinned).map_err(|e| SigningError::Registry(e.to_string()))?;
        let layers = cosign
            .trusted_signature_layers(&sigstore_auth(auth), &image)
            .await
            .unwrap_or_default();
        if layers.is_empty() {
            let stored = stored_layers(&client, &signatures, auth).await?;
            let why: Vec<String> = stored.iter().map(|l| why_invalid(l, &digest)).collect();
            return Err(SigningError::Refused(format!(
                "{pinned}: {} holds {} layer(s), none a valid cosign signature of this digest: {}",
                signatures.whole(),
                stored.len(),
                why.join("; ")
            )));
        }
        let mut failures = Vec::new();
        for (i, requirement) in config.all_of.iter().flatten().enumerate() {
            let finding = check(requirement, &layers)?;
            if !matches!(finding, Finding::Satisfied) {
                failures.push(explain(&format!("allOf[{i}]"), requirement, &finding));
            }
        }
        if let Some(any_of) = &config.any_of {
            let mut matched = 0;
            let mut misses = Vec::new();
            for (i, requirement) in any_of.signatures.iter().enumerate() {
                let finding = check(requirement, &layers)?;
                if matches!(finding, Finding::Satisfied) {
                    matched += 1;
                } else {
                    misses.push(explain(&format!("anyOf[{i}]"), requirement, &finding));
                }
            }
            if matched < any_of.minimum_matches {
                failures.push(format!(
                    "anyOf: {matched} of {} signatures found, minimumMatches is {} ({})",
                    any_of.signatures.len(),
                    any_of.minimum_matches,
                    misses.join("; ")
                ));
            }
        }
        if failures.is_empty() {
            Ok(Verified { digest, pinned })
        } else {
            Err(SigningError::Refused(format!(
                "{pinned}: verification failed: {}",
                failures.join("; ")
            )))
        }
    })
    .map_err(|e| SigningError::Registry(e.to_string()))?
}

/// Pulls what [`verify`] verified, by its digest, and checks the manifest it got is that one.
pub fn pull_verified(
    verified: &Verified,
    auth: &RegistryAuth,
    insecure_plain_http: bool,
) -> Result<Vec<u8>, SigningError> {
    let pulled = crate::oci::pull_artifact(&verified.pinned, auth, insecure_plain_http)
        .map_err(|e| SigningError::Registry(e.to_string()))?;
    match pulled.digest.as_deref() {
        Some(digest) if digest == verified.digest => Ok(pulled.wasm),
        other => Err(SigningError::Refused(format!(
            "{}: the registry served manifest {} instead of the verified one",
            verified.pinned,
            other.unwrap_or("(no digest)")
        ))),
    }
}
