//! The host-backed rules: digest pinning (`oci/v1/manifest_digest`) and signatures
//! (`oci/v2/verify`). Answers are cached per request, so an image used by several containers
//! costs one call per distinct question.

use crate::host::{Host, HostError};
use crate::settings::SignatureRule;
use policy_common::image::{Digest, ImageRef};

/// `image` with `digest`, keeping the tag a runtime would pull: `busybox` pinned is
/// `docker.io/library/busybox:latest@sha256:…`, not a tagless `busybox@sha256:…`.
pub fn pinned(image: &ImageRef, digest: &Digest) -> ImageRef {
    match (image.tag(), image.digest()) {
        (None, None) => ImageRef::parse(&format!("{image}@{digest}"))
            .unwrap_or_else(|_| image.with_digest(digest)),
        _ => image.with_digest(digest),
    }
}

/// Why a digest lookup or a signature rule failed, as quoted in a violation. One message
/// written where the check fails: an enum's `Display` and `Clone` (the cache hands out copies)
/// would add about a kilobyte to the wasm module.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProvenanceError(pub String);

impl From<HostError> for ProvenanceError {
    fn from(HostError(message): HostError) -> Self {
        Self(message)
    }
}

/// (reference, signature rule index, verifier index)
type VerifyKey = (String, usize, usize);

#[derive(Default)]
pub struct Cache {
    digests: Vec<(String, Result<Digest, ProvenanceError>)>,
    verifications: Vec<(VerifyKey, Result<String, HostError>)>,
}

fn parse_digest(d: &str) -> Result<Digest, ProvenanceError> {
    d.parse::<Digest>()
        .map_err(|_| ProvenanceError(format!("the host returned an invalid digest {d:?}")))
}

impl Cache {
    /// The digest a tag-only reference resolves to now.
    pub fn resolve(
        &mut self,
        host: &dyn Host,
        image: &ImageRef,
    ) -> Result<Digest, ProvenanceError> {
        let key = image.to_string();
        if let Some((_, r)) = self.digests.iter().find(|(k, _)| *k == key) {
            return r.clone();
        }
        let r = host
            .manifest_digest(&key)
            .map_err(ProvenanceError::from)
            .and_then(|d| parse_digest(&d))
            .map_err(|ProvenanceError(e)| ProvenanceError(format!("digest lookup failed: {e}")));
        self.digests.push((key, r.clone()));
        r
    }

    fn verify(
        &mut self,
        host: &dyn Host,
        image: &str,
        rule: (usize, &SignatureRule),
        verifier: usize,
    ) -> Result<String, HostError> {
        let key = (image.to_owned(), rule.0, verifier);
        if let Some((_, r)) = self.verifications.iter().find(|(k, _)| *k == key) {
            return r.clone();
        }
        let r = host.verify(
            image,
            &rule.1.verifiers[verifier],
            rule.1.annotations.as_ref(),
        );
        self.verifications.push((key, r.clone()));
        r
    }

    /// Checks one signature rule against `image` (which carries the pinned digest when there is
    /// one, so the signature is checked for exactly what will run). Returns the verified digest.
    ///
    /// Verifiers run in order and stop as soon as the threshold is reached or can no longer be
    /// reached, so a recorded session sees a predictable sequence of calls.
    pub fn verify_rule(
        &mut self,
        host: &dyn Host,
        image: &ImageRef,
        index: usize,
        rule: &SignatureRule,
    ) -> Result<Digest, ProvenanceError> {
        let target = image.to_string();
        let needed = rule.threshold();
        let total = rule.verifiers.len();
        let mut verified: Option<Digest> = None;
        let mut successes = 0;
        let mut failures = Vec::new();
        for (j, verifier) in rule.verifiers.iter().enumerate() {
            if successes >= needed || failures.len() > total - needed {
                break;
            }
            let outcome = self
                .verify(host, &target, (index, rule), j)
                .map_err(ProvenanceError::from)
                .and_then(|d| parse_digest(&d))
                .and_then(|d| match image.digest() {
                    Some(want) if *want != d => Err(ProvenanceError(format!(
                        "verified digest {d} is not the reference's digest {want}"
                    ))),
                    _ => Ok(d),
                })
                .and_then(|d| match &verified {
                    Some(first) if *first != d => Err(ProvenanceError(format!(
                        "verified digest {d} differs from {first} verified before"
                    ))),
                    _ => Ok(d),
                });
            match outcome {
                Ok(d) => {
                    successes += 1;
                    verified = Some(d);
                }
                Err(e) => failures.push(format!("{}[{j}]: {}", verifier.kind(), e.0)),
            }
        }
        match verified {
            Some(d) if successes >= needed => Ok(d),
            _ => Err(ProvenanceError(format!(
                "{successes} of {needed} required verifications succeeded: {}",
                failures.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
pub mod fake {
    use super::*;
    use crate::settings::Verifier;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// Answers from tables and records every call, like a replay session.
    #[derive(Default)]
    pub struct FakeHost {
        pub digests: BTreeMap<String, Result<String, String>>,
        /// (image glob, verifier kind) -> answer
        pub signatures: Vec<(String, &'static str, Result<String, String>)>,
        pub calls: RefCell<Vec<String>>,
    }

    impl Host for FakeHost {
        fn manifest_digest(&self, image: &str) -> Result<String, HostError> {
            self.calls.borrow_mut().push(format!("digest {image}"));
            self.digests
                .get(image)
                .cloned()
                .unwrap_or_else(|| Err(format!("no digest for {image}")))
                .map_err(HostError)
        }

        fn verify(
            &self,
            image: &str,
            verifier: &Verifier,
            annotations: Option<&BTreeMap<String, String>>,
        ) -> Result<String, HostError> {
            let ann = annotations.map(|a| format!(" {a:?}")).unwrap_or_default();
            self.calls
                .borrow_mut()
                .push(format!("verify {} {image}{ann}", verifier.kind()));
            self.signatures
                .iter()
                .find(|(glob, kind, _)| {
                    policy_common::glob::glob_match(glob, image) && *kind == verifier.kind()
                })
                .map(|(_, _, r)| r.clone())
                .unwrap_or_else(|| Err("no signatures found".to_owned()))
                .map_err(HostError)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeHost;
    use super::*;
    use serde_json::json;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn rule(v: serde_json::Value) -> SignatureRule {
        serde_json::from_value(v).unwrap()
    }

    fn two_verifiers(threshold: usize) -> SignatureRule {
        rule(json!({
            "images": ["ghcr.io/org/*"], "threshold": threshold,
            "verifiers": [
                {"pubKey": "-----BEGIN PUBLIC KEY-----"},
                {"githubActions": {"owner": "org"}}
            ]
        }))
    }

    fn image(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    #[test]
    fn pinning_keeps_the_implicit_tag() {
        let d: Digest = D1.parse().unwrap();
        assert_eq!(
            pinned(&image("busybox"), &d).to_string(),
            format!("docker.io/library/busybox:latest@{D1}")
        );
        assert_eq!(
            pinned(&image("ghcr.io/o/a:1"), &d).to_string(),
            format!("ghcr.io/o/a:1@{D1}")
        );
        assert_eq!(
            pinned(&image(&format!("a@{D2}")), &d).to_string(),
            format!("docker.io/library/a@{D1}")
        );
    }

    #[test]
    fn resolves_and_caches_digests() {
        let mut host = FakeHost::default();
        host.digests
            .insert("docker.io/library/nginx:1.25".into(), Ok(D1.into()));
        host.digests
            .insert("docker.io/library/bad:1".into(), Ok("md5:x".into()));
        let mut cache = Cache::default();
        assert_eq!(
            cache
                .resolve(&host, &image("nginx:1.25"))
                .unwrap()
                .to_string(),
            D1
        );
        assert_eq!(
            cache
                .resolve(&host, &image("docker.io/library/nginx:1.25"))
                .unwrap()
                .to_string(),
            D1
        );
        assert_eq!(host.calls.borrow().len(), 1, "cached");
        assert_eq!(
            cache
                .resolve(&host, &image("missing:1"))
                .unwrap_err()
                .to_string(),
            "digest lookup failed: no digest for docker.io/library/missing:1"
        );
        assert!(
            cache
                .resolve(&host, &image("bad:1"))
                .unwrap_err()
                .to_string()
                .contains("invalid digest \"md5:x\"")
        );
    }

    #[test]
    fn threshold_counts_successful_verifiers() {
        let mut host = FakeHost::default();
        host.signatures
            .push(("ghcr.io/org/*".into(), "githubActions", Ok(D1.into())));
        let img = image("ghcr.io/org/app:1");

        let err = Cache::default()
            .verify_rule(&host, &img, 0, &two_verifiers(2))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "0 of 2 required verifications succeeded: pubKey[0]: no signatures found"
        );
        assert_eq!(
            host.calls.borrow().len(),
            1,
            "stops once the threshold is out of reach"
        );

        host.calls.borrow_mut().clear();
        let d = Cache::default()
            .verify_rule(&host, &img, 0, &two_verifiers(1))
            .unwrap();
        assert_eq!(d.to_string(), D1);
        assert_eq!(
            *host.calls.borrow(),
            [
                "verify pubKey ghcr.io/org/app:1",
                "verify githubActions ghcr.io/org/app:1"
            ]
        );

        host.signatures
            .push(("ghcr.io/org/*".into(), "pubKey", Ok(D1.into())));
        host.calls.borrow_mut().clear();
        Cache::default()
            .verify_rule(&host, &img, 0, &two_verifiers(1))
            .unwrap();
        assert_eq!(
            host.calls.borrow().len(),
            1,
            "stops once the threshold is reached"
        );
        Cache::default()
            .verify_rule(&host, &img, 0, &two_verifiers(2))
            .unwrap();
    }

    #[test]
    fn digests_must_agree() {
        let mut host = FakeHost::default();
        host.signatures.push(("*".into(), "pubKey", Ok(D1.into())));
        host.signatures
            .push(("*".into(), "githubActions", Ok(D2.into())));
        let img = image("ghcr.io/org/app:1");
        let err = Cache::default()
            .verify_rule(&host, &img, 0, &two_verifiers(2))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "githubActions[1]: verified digest {D2} differs from {D1}"
            )),
            "{err}"
        );

        let pinned = image(&format!("ghcr.io/org/app:1@{D2}"));
        let err = Cache::default()
            .verify_rule(&host, &pinned, 0, &two_verifiers(2))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "pubKey[0]: verified digest {D1} is not the reference's digest {D2}"
            )),
            "{err}"
        );
        let ok = Cache::default()
            .verify_rule(&host, &pinned, 0, &two_verifiers(1))
            .unwrap();
        assert_eq!(
            ok.to_string(),
            D2,
            "the other verifier covers the pinned digest"
        );
    }

    #[test]
    fn annotations_are_passed() {
        let host = FakeHost::default();
        let r = rule(json!({"images": ["*"], "annotations": {"env": "prod"},
                            "verifiers": [{"keyless": {"issuer": "i", "subject": "s"}}]}));
        let _ = Cache::default().verify_rule(&host, &image("x"), 0, &r);
        assert_eq!(
            *host.calls.borrow(),
            [r#"verify keyless docker.io/library/x:latest {"env": "prod"}"#]
        );
    }
}
