//! `kwhost generate-key-pair`, `sign`, `verify`, and the verification flags `pull` and `run`
//! share, as kwctl names them: cosign-format signatures, key-based and offline
//! (`kwhost_artifact::signing`). A passphrase comes from `COSIGN_PASSWORD` or the terminal,
//! never from a flag, and nothing here prints key material.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kwhost_artifact::signing::keys::{self, PASSWORD_ENV};
use kwhost_artifact::signing::{SigningError, VerificationConfig, Verified};
use zeroize::Zeroizing;

use super::{CommandError, pull_bytes, read_text, registry_auth};

impl From<SigningError> for CommandError {
    fn from(error: SigningError) -> Self {
        match error {
            SigningError::Key(_) | SigningError::Config(_) => Self::Unusable(error.to_string()),
            SigningError::Registry(_) | SigningError::Refused(_) => Self::Failed(error.to_string()),
        }
    }
}

/// `KEY=VALUE`.
pub fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// What a module must carry to be used: kwctl's verification flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VerificationArgs {
    /// A public key (PEM, cosign's `cosign.pub`) whose signature is required; repeatable, every
    /// one is required.
    #[arg(long = "verification-key", value_name = "PATH")]
    pub keys: Vec<PathBuf>,
    /// An annotation every required signature must carry, `KEY=VALUE`; repeatable.
    #[arg(long = "verification-annotation", value_name = "KEY=VALUE", value_parser = key_value)]
    pub annotations: Vec<(String, String)>,
    /// A Kubewarden verification config (`apiVersion: v1`, `allOf`/`anyOf` of `kind: pubKey`).
    #[arg(
        long = "verification-config-path",
        value_name = "PATH",
        conflicts_with = "keys"
    )]
    pub config_path: Option<PathBuf>,
}

impl VerificationArgs {
    /// The config the flags ask for; `None` when they ask for nothing.
    pub fn config(&self) -> Result<Option<VerificationConfig>, CommandError> {
        if let Some(path) = &self.config_path {
            let text = read_text(path)?;
            return Ok(Some(VerificationConfig::parse(
                &text,
                &path.display().to_string(),
            )?));
        }
        if self.keys.is_empty() {
            if !self.annotations.is_empty() {
                return Err(CommandError::Unusable(
                    "--verification-annotation needs a --verification-key".to_owned(),
                ));
            }
            return Ok(None);
        }
        let keys = self
            .keys
            .iter()
            .map(|path| read_text(path))
            .collect::<Result<Vec<_>, _>>()?;
        let annotations: BTreeMap<String, String> = self.annotations.iter().cloned().collect();
        Ok(Some(VerificationConfig::from_keys(keys, annotations)?))
    }
}

/// The passphrase: `COSIGN_PASSWORD` (empty allowed, as cosign does), else asked on the
/// terminal (twice when `confirm`).
fn passphrase(confirm: bool) -> Result<Zeroizing<String>, CommandError> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(Zeroizing::new(password));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::Unusable(format!(
            "no passphrase: set {PASSWORD_ENV} or run in a terminal"
        )));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| CommandError::Unusable(format!("cannot read the passphrase: {e}")))
    };
    let first = ask("Enter password for private key: ")?;
    if confirm && *ask("Enter password for private key again: ")? != *first {
        return Err(CommandError::Unusable(
            "passphrases do not match".to_owned(),
        ));
    }
    Ok(first)
}

#[derive(Debug, clap::Args)]
pub struct GenerateKeyPairArgs {
    /// Writes `<PREFIX>.key` (encrypted, mode 0600) and `<PREFIX>.pub`.
    #[arg(long, default_value = "cosign")]
    pub output_prefix: PathBuf,
}

pub fn generate_key_pair(args: GenerateKeyPairArgs) -> Result<ExitCode, CommandError> {
    let password = passphrase(true)?;
    let pair = keys::generate(password.as_bytes())?;
    let (private, public) = keys::write_pair(&args.output_prefix, &pair)?;
    println!(
        "Private key written to {}\nPublic key written to {}",
        private.display(),
        public.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// `[registry://]registry/repository:tag` (the digest it points at is signed).
    pub reference: String,
    /// The cosign private key (its passphrase from `COSIGN_PASSWORD` or the terminal).
    #[arg(short = 'k', long = "key", value_name = "PATH")]
    pub key: PathBuf,
    /// An annotation of the signed payload, `KEY=VALUE`; repeatable.
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE", value_parser = key_value)]
    pub annotations: Vec<(String, String)>,
    /// Plain HTTP for a local registry.
    #[arg(long)]
    pub insecure: bool,
}

/// Signs `reference` with the key at `key`; used by `sign` and `push --sign-key`. Returns
/// the line to print.
pub fn sign_reference(
    reference: &str,
    key: &Path,
    annotations: &[(String, String)],
    insecure: bool,
) -> Result<String, CommandError> {
    let password = passphrase(false)?;
    let signer = keys::load_signer(key, password.as_bytes())?;
    drop(password);
    let auth = registry_auth(reference)?;
    let annotations: BTreeMap<String, String> = annotations.iter().cloned().collect();
    let signed = kwhost_artifact::signing::sign(reference, signer, &annotations, &auth, insecure)?;
    Ok(format!(
        "Signed {} ({}); signature stored at {}",
        reference, signed.digest, signed.signatures
    ))
}

pub fn sign(args: SignArgs) -> Result<ExitCode, CommandError> {
    let done = sign_reference(&args.reference, &args.key, &args.annotations, args.insecure)?;
    println!("{done}");
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// `[registry://]registry/repository:tag` or `...@sha256:...`.
    pub reference: String,
    #[command(flatten)]
    pub verification: VerificationArgs,
    /// Plain HTTP for a local registry.
    #[arg(long)]
    pub insecure: bool,
}

/// Verifies `reference` against `config`; the module is then to be used by its digest.
pub fn verify_reference(
    reference: &str,
    config: &VerificationConfig,
    insecure: bool,
) -> Result<Verified, CommandError> {
    let auth = registry_auth(reference)?;
    Ok(kwhost_artifact::signing::verify(
        reference, config, &auth, insecure,
    )?)
}

pub fn verify(args: VerifyArgs) -> Result<ExitCode, CommandError> {
    let config = args.verification.config()?.ok_or_else(|| {
        CommandError::Unusable(
            "nothing to verify against: give --verification-key or --verification-config-path"
                .to_owned(),
        )
    })?;
    let verified = verify_reference(&args.reference, &config, args.insecure)?;
    println!(
        "Policy successfully verified: registry://{}",
        verified.pinned
    );
    Ok(ExitCode::SUCCESS)
}

/// A module's bytes from the registry: verified and pulled by the verified digest when `config`
/// is given, else pulled as is.
pub fn fetch(
    reference: &str,
    config: Option<&VerificationConfig>,
    insecure: bool,
) -> Result<Vec<u8>, CommandError> {
    let Some(config) = config else {
        return pull_bytes(reference, insecure);
    };
    let auth = registry_auth(reference)?;
    let verified = kwhost_artifact::signing::verify(reference, config, &auth, insecure)?;
    eprintln!("verified: registry://{}", verified.pinned);
    Ok(kwhost_artifact::signing::pull_verified(
        &verified, &auth, insecure,
    )?)
}

#[derive(Debug, clap::Args)]
pub struct VerificationConfigArgs {
    /// A public key whose signature every module needs; repeatable (all required).
    #[arg(long = "verification-key", value_name = "PATH", required = true)]
    pub keys: Vec<PathBuf>,
    /// An annotation every required signature carries, `KEY=VALUE`; repeatable.
    #[arg(long = "verification-annotation", value_name = "KEY=VALUE", value_parser = key_value)]
    pub annotations: Vec<(String, String)>,
    /// Who owns the keys (`owner` of each entry, shown in messages).
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

/// `apiVersion: v1` with an `allOf` entry per key: the config the flags of `verify` stand for,
/// written down for the policy-server (`--verification-path`, or the Secret a PolicyServer's
/// `spec.verificationConfig` names, key `verification-config`).
pub fn scaffold_verification_config(
    args: VerificationConfigArgs,
) -> Result<ExitCode, CommandError> {
    let keys = args
        .keys
        .iter()
        .map(|path| read_text(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut config =
        VerificationConfig::from_keys(keys, args.annotations.iter().cloned().collect())?;
    for requirement in config.all_of.iter_mut().flatten() {
        if let kwhost_artifact::signing::config::SignatureRequirement::PubKey { owner, .. } =
            requirement
        {
            owner.clone_from(&args.owner);
        }
    }
    let yaml = serde_yaml::to_string(&config)
        .map_err(|e| CommandError::Failed(format!("cannot write the config: {e}")))?;
    match &args.output {
        Some(path) => std::fs::write(path, yaml)
            .map_err(|e| CommandError::Unusable(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{yaml}"),
    }
    Ok(ExitCode::SUCCESS)
}
