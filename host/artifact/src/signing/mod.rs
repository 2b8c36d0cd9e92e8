//! Signed policy artifacts, key-based and offline, in cosign's format, as kwctl and the
//! policy-server verify them: [`keys`] (cosign key pairs), [`config`] (Kubewarden's verification
//! config), [`registry`] (signing a pushed module, verifying one before use).

pub mod config;
pub mod keys;
pub mod registry;

pub use config::VerificationConfig;
pub use registry::{Signed, Verified, pull_verified, sign, verify};

/// Why signing or verification failed; no message holds key material or a passphrase.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// A key cannot be made, read, decrypted or used.
    #[error("{0}")]
    Key(String),
    /// The verification config (or the flags standing for one) cannot be used.
    #[error("{0}")]
    Config(String),
    /// The registry could not be reached or answered an error.
    #[error("{0}")]
    Registry(String),
    /// The module is not signed as the config requires.
    #[error("{0}")]
    Refused(String),
}
