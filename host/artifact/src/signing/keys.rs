//! Cosign key pairs: ECDSA P-256, the public key as a PEM `PUBLIC KEY`, the private key as
//! cosign writes it (`ENCRYPTED SIGSTORE PRIVATE KEY`: scrypt and NaCl secretbox over the PKCS#8
//! key), through the `sigstore` crate. Key material stays in `Zeroizing` buffers and is never
//! formatted into an error.

use std::io::Write;
use std::path::{Path, PathBuf};

use sigstore::crypto::signing_key::SigStoreKeyPair;
use sigstore::crypto::{SigStoreSigner, SigningScheme};
use zeroize::Zeroizing;

use super::SigningError;

/// cosign's variable for the private key's passphrase, read by `generate-key-pair` and `sign`.
pub const PASSWORD_ENV: &str = "COSIGN_PASSWORD";

const ENCRYPTED_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";

/// The two PEM texts of a new key pair.
pub struct KeyPairPem {
    pub private: Zeroizing<String>,
    pub public: String,
}

/// A new ECDSA P-256 key pair, the private key encrypted with `password`.
pub fn generate(password: &[u8]) -> Result<KeyPairPem, SigningError> {
    let signer = SigningScheme::ECDSA_P256_SHA256_ASN1
        .create_signer()
        .map_err(|e| SigningError::Key(format!("cannot generate a key: {e}")))?;
    let pair = signer
        .to_sigstore_keypair()
        .map_err(|e| SigningError::Key(format!("cannot generate a key: {e}")))?;
    let private = pair
        .private_key_to_encrypted_pem(password)
        .map_err(|_| SigningError::Key("cannot encrypt the private key".to_owned()))?;
    let public = pair
        .public_key_to_pem()
        .map_err(|e| SigningError::Key(format!("cannot write the public key: {e}")))?;
    // The PEM writer ends lines with CRLF; cosign's files, and YAML block scalars, use LF.
    Ok(KeyPairPem {
        private: Zeroizing::new(private.replace("\r\n", "\n")),
        public: public.replace("\r\n", "\n"),
    })
}

/// Writes `<prefix>.key` (mode 0600) and `<prefix>.pub`; refuses to overwrite either.
pub fn write_pair(prefix: &Path, pair: &KeyPairPem) -> Result<(PathBuf, PathBuf), SigningError> {
    let private_path = prefix.with_extension("key");
    let public_path = prefix.with_extension("pub");
    for path in [&private_path, &public_path] {
        if path.exists() {
            return Err(SigningError::Key(format!(
                "{} exists: not overwritten",
                path.display()
            )));
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let write = |path: &Path, bytes: &[u8], options: &std::fs::OpenOptions| {
        options
            .open(path)
            .and_then(|mut file| file.write_all(bytes))
            .map_err(|e| SigningError::Key(format!("cannot write {}: {e}", path.display())))
    };
    write(&private_path, pair.private.as_bytes(), &options)?;
    let mut public_options = std::fs::OpenOptions::new();
    public_options.write(true).create_new(true);
    write(&public_path, pair.public.as_bytes(), &public_options)?;
    Ok((private_path, public_path))
}

/// A signer from a cosign private key file: encrypted (with `password`) or plain PEM.
pub fn load_signer(path: &Path, password: &[u8]) -> Result<SigStoreSigner, SigningError> {
    let pem = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| SigningError::Key(format!("cannot read {}: {e}", path.display())))?,
    );
    let encrypted = std::str::from_utf8(&pem).is_ok_and(|text| text.contains(ENCRYPTED_LABEL));
    let pair = if encrypted {
        SigStoreKeyPair::from_encrypted_pem(&pem, password).map_err(|_| {
            SigningError::Key(format!(
                "{}: cannot decrypt the private key (wrong passphrase?)",
                path.display()
            ))
        })?
    } else {
        SigStoreKeyPair::from_pem(&pem)
            .map_err(|_| SigningError::Key(format!("{}: not a private key PEM", path.display())))?
    };
    pair.to_sigstore_signer(&SigningScheme::ECDSA_P256_SHA256_ASN1)
        .map_err(|_| {
            SigningError::Key(format!(
                "{}: not an ECDSA P-256 key (cosign's key type)",
                path.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_pair_signs_and_verifies_and_needs_its_passphrase() {
        let pair = generate(b"correct horse").unwrap();
        assert!(pair.private.contains(ENCRYPTED_LABEL));
        assert!(pair.public.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(!pair.public.contains('\r') && !pair.private.contains('\r'));
        let dir = std::env::temp_dir().join(format!("kwhost-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (private, public) = write_pair(&dir.join("cosign"), &pair).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&private).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(write_pair(&dir.join("cosign"), &pair).is_err(), "overwrote");
        let signer = load_signer(&private, b"correct horse").unwrap();
        let signature = signer.sign(b"payload").unwrap();
        let key = sigstore::crypto::CosignVerificationKey::from_pem(
            std::fs::read(&public).unwrap().as_slice(),
            &SigningScheme::ECDSA_P256_SHA256_ASN1,
        )
        .unwrap();
        key.verify_signature(sigstore::crypto::Signature::Raw(&signature), b"payload")
            .unwrap();
        let wrong = load_signer(&private, b"battery staple").err().unwrap();
        assert!(wrong.to_string().contains("wrong passphrase"), "{wrong}");
        assert!(!wrong.to_string().contains("horse"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
