//! `annotate`, `inspect`, `push`, `pull` and `scaffold`: policies as Kubewarden artifacts
//! (docs/protocol.md §5–§8). The work is in `kwhost-artifact`; this module reads files and flags.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use kwhost_artifact::{ManifestKind, Metadata, OutputFormat, PolicyServerEntry, ProtocolVersion};

use super::{CommandError, new_runtime, pull_bytes, read_text, registry_auth};
use crate::evaluation::{Policy, protocol_version};

#[derive(Debug, clap::Args)]
pub struct AnnotateArgs {
    /// The policy module.
    pub module: PathBuf,
    #[arg(short = 'm', long = "metadata-path")]
    pub metadata_path: PathBuf,
    /// Markdown stored as `io.kubewarden.policy.usage`.
    #[arg(short = 'u', long = "usage-path")]
    pub usage_path: Option<PathBuf>,
    #[arg(short = 'o', long = "output-path")]
    pub output_path: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// A module path (`file://` accepted) or `registry://` reference.
    pub module: String,
    /// `yaml` for the raw metadata; the default is a readable summary.
    #[arg(short = 'o', long, value_parser = ["pretty", "yaml"])]
    pub output: Option<String>,
    /// Plain HTTP for a local registry.
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The annotated module.
    pub module: PathBuf,
    /// `[registry://]registry/repository:tag`.
    pub reference: String,
    /// Plain HTTP for a local registry.
    #[arg(long)]
    pub insecure: bool,
    /// `json` prints `{"immutable_ref": ...}`.
    #[arg(short = 'o', long, value_parser = ["text", "json"])]
    pub output: Option<String>,
    /// Sign the pushed module with this cosign private key (as `kwhost sign` does).
    #[arg(long, value_name = "PATH")]
    pub sign_key: Option<PathBuf>,
    /// An annotation of the signature, `KEY=VALUE`; repeatable; with `--sign-key`.
    #[arg(long, value_name = "KEY=VALUE", value_parser = super::signing::key_value, requires = "sign_key")]
    pub sign_annotation: Vec<(String, String)>,
}

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// `[registry://]registry/repository:tag` or `...@sha256:...`.
    pub reference: String,
    /// Where to write the module; by default the local store (`$KWHOST_STORE_DIR`, else
    /// `~/.cache/kwhost/store`, laid out as kwctl's), where `kwhost audit` finds it.
    #[arg(short = 'o', long = "output-path")]
    pub output_path: Option<PathBuf>,
    /// Plain HTTP for a local registry.
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub verification: super::signing::VerificationArgs,
}

#[derive(Debug, clap::Args)]
pub struct ScaffoldArgs {
    #[command(subcommand)]
    pub command: ScaffoldCommand,
}

#[derive(Debug, Subcommand)]
pub enum ScaffoldCommand {
    /// `artifacthub-pkg.yml` from metadata.yml (like `kwctl scaffold artifacthub`).
    Artifacthub(ArtifactHubArgs),
    /// A ClusterAdmissionPolicy or AdmissionPolicy.
    Manifest(ManifestArgs),
    /// A `policies.yml` for a stand-alone policy-server.
    PolicyServerConfig(PolicyServerConfigArgs),
    /// An AdmissionReview from a plain object file (like `kwctl scaffold admission-request`).
    AdmissionRequest(super::admission_request::AdmissionRequestArgs),
    /// A verification config for `verify --verification-config-path` and the policy-server's
    /// `--verification-path` (like `kwctl scaffold verification-config`).
    VerificationConfig(super::signing::VerificationConfigArgs),
}

#[derive(Debug, clap::Args)]
pub struct ArtifactHubArgs {
    #[arg(short = 'm', long = "metadata-path")]
    pub metadata_path: PathBuf,
    #[arg(short = 'q', long = "questions-path")]
    pub questions_path: Option<PathBuf>,
    /// RFC 3339 `createdAt`: the release date of the policy's version (tests/scripts/generate-artifacts.sh
    /// reads it from `[package.metadata.artifacthub]` of the policy's Cargo.toml).
    #[arg(long)]
    pub created_at: String,
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ManifestArgs {
    #[arg(short = 'm', long = "metadata-path")]
    pub metadata_path: PathBuf,
    /// Module reference, e.g. `registry://ghcr.io/org/policy:v1.0.0`.
    #[arg(long)]
    pub module: String,
    /// Settings, YAML or JSON.
    #[arg(short = 's', long = "settings-path")]
    pub settings_path: Option<PathBuf>,
    /// `ClusterAdmissionPolicy` or `AdmissionPolicy`.
    #[arg(short = 't', long = "type", default_value = "ClusterAdmissionPolicy")]
    pub r#type: String,
    /// `metadata.name` of the policy resource.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PolicyServerConfigArgs {
    /// `ID=MODULE_REF,METADATA_PATH[,SETTINGS_PATH]`, repeatable.
    #[arg(long = "policy", required = true)]
    pub policies: Vec<String>,
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// The verification config the policy-server is to check every module against
    /// (`kwhost scaffold verification-config`); checked here, and named in a header that gives
    /// the policy-server command line (`--verification-path`).
    #[arg(long, value_name = "PATH")]
    pub verification_config_path: Option<PathBuf>,
}

fn unusable<E: Into<anyhow::Error>>(
    context: impl std::fmt::Display,
) -> impl FnOnce(E) -> CommandError {
    move |e| CommandError::Unusable(format!("{context}: {:#}", e.into()))
}

fn read(path: &Path) -> Result<Vec<u8>, CommandError> {
    std::fs::read(path)
        .map_err(|e| CommandError::Unusable(format!("cannot read {}: {e}", path.display())))
}

fn write(path: Option<&Path>, bytes: &[u8]) -> Result<(), CommandError> {
    match path {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| CommandError::Failed(format!("cannot write {}: {e}", path.display()))),
        None => {
            use std::io::Write as _;
            std::io::stdout()
                .write_all(bytes)
                .map_err(|e| CommandError::Failed(format!("cannot write to stdout: {e}")))
        }
    }
}

fn load_metadata(path: &Path) -> Result<Metadata, CommandError> {
    Metadata::load(path).map_err(unusable(path.display()))
}

fn settings_yaml(path: Option<&PathBuf>) -> Result<serde_yaml::Value, CommandError> {
    match path {
        None => Ok(serde_yaml::Value::Mapping(Default::default())),
        Some(path) => serde_yaml::from_str(&read_text(path)?).map_err(|e| {
            CommandError::Unusable(format!("{}: not YAML or JSON: {e}", path.display()))
        }),
    }
}

/// `kwhost annotate`: asks the module for its protocol version (as kwctl does), then embeds
/// the metadata, replacing any earlier annotation.
pub fn annotate(args: AnnotateArgs) -> Result<ExitCode, CommandError> {
    let metadata = load_metadata(&args.metadata_path)?;
    let usage = args.usage_path.as_deref().map(read_text).transpose()?;
    let wasm = read(&args.module)?;
    let runtime = new_runtime()?;
    let policy = Policy::load(&runtime, &args.module)?;
    let version = protocol_version(&policy).map_err(|e| {
        CommandError::Failed(format!(
            "{}: cannot detect the protocol version: {e}",
            args.module.display()
        ))
    })?;
    let annotated = kwhost_artifact::annotate(
        &wasm,
        &metadata,
        usage.as_deref(),
        ProtocolVersion::from_guest_response(&version),
    )
    .map_err(unusable(args.module.display()))?;
    write(Some(&args.output_path), &annotated)?;
    Ok(ExitCode::SUCCESS)
}

/// `kwhost inspect`: a local file, or a `registry://` reference pulled first.
pub fn inspect(args: InspectArgs) -> Result<ExitCode, CommandError> {
    let (bytes, name) = if is_registry_ref(&args.module) {
        (
            pull_bytes(&args.module, args.insecure)?,
            args.module.clone(),
        )
    } else {
        let path = PathBuf::from(args.module.strip_prefix("file://").unwrap_or(&args.module));
        (read(&path)?, path.display().to_string())
    };
    let format = if args.output.as_deref() == Some("yaml") {
        OutputFormat::Yaml
    } else {
        OutputFormat::Pretty
    };
    let text = kwhost_artifact::inspect(&bytes, &name, format)
        .map_err(|e| CommandError::Failed(format!("{e:#}")))?;
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn is_registry_ref(module: &str) -> bool {
    module.starts_with("registry://")
}

/// `kwhost push`: refuses an unannotated module; prints the immutable reference.
pub fn push(args: PushArgs) -> Result<ExitCode, CommandError> {
    let wasm = read(&args.module)?;
    let immutable = kwhost_artifact::push(
        &wasm,
        &args.reference,
        &registry_auth(&args.reference)?,
        args.insecure,
    )
    .map_err(|e| CommandError::Failed(format!("cannot push {}: {e:#}", args.reference)))?;
    if args.output.as_deref() == Some("json") {
        println!("{}", serde_json::json!({ "immutable_ref": immutable }));
    } else {
        println!("Policy successfully pushed: {immutable}");
    }
    if let Some(key) = &args.sign_key {
        // The digest just pushed, not the tag, which may have moved since.
        // On stderr: stdout stays the push's own output (`-o json` is parsed by scripts).
        let done =
            super::signing::sign_reference(&immutable, key, &args.sign_annotation, args.insecure)?;
        eprintln!("{done}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `kwhost pull`: the policy's wasm layer, byte for byte.
pub fn pull(args: PullArgs) -> Result<ExitCode, CommandError> {
    let config = args.verification.config()?;
    let bytes = super::signing::fetch(&args.reference, config.as_ref(), args.insecure)?;
    let path = match args.output_path {
        Some(path) => path,
        None => {
            let path = super::store_path(&args.reference)?;
            eprintln!("pulled into {}", path.display());
            path
        }
    };
    write(Some(&path), &bytes)?;
    Ok(ExitCode::SUCCESS)
}

pub fn scaffold(args: ScaffoldArgs) -> Result<ExitCode, CommandError> {
    match args.command {
        ScaffoldCommand::Artifacthub(args) => scaffold_artifacthub(args),
        ScaffoldCommand::Manifest(args) => scaffold_manifest(args),
        ScaffoldCommand::PolicyServerConfig(args) => scaffold_policy_server_config(args),
        ScaffoldCommand::AdmissionRequest(args) => super::admission_request::execute(args),
        ScaffoldCommand::VerificationConfig(args) => {
            super::signing::scaffold_verification_config(args)
        }
    }
}

fn scaffold_artifacthub(args: ArtifactHubArgs) -> Result<ExitCode, CommandError> {
    let metadata = load_metadata(&args.metadata_path)?;
    let questions = args.questions_path.as_deref().map(read_text).transpose()?;
    let yaml = kwhost_artifact::artifacthub_pkg(&metadata, questions.as_deref(), &args.created_at)
        .map_err(unusable(args.metadata_path.display()))?;
    write(args.output.as_deref(), yaml.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn scaffold_manifest(args: ManifestArgs) -> Result<ExitCode, CommandError> {
    let metadata = load_metadata(&args.metadata_path)?;
    let settings = settings_yaml(args.settings_path.as_ref())?;
    let kind = match args.r#type.as_str() {
        "ClusterAdmissionPolicy" => ManifestKind::ClusterAdmissionPolicy,
        "AdmissionPolicy" => ManifestKind::AdmissionPolicy,
        other => {
            return Err(CommandError::Unusable(format!(
                "--type: unknown manifest type '{other}' (ClusterAdmissionPolicy or AdmissionPolicy)"
            )));
        }
    };
    let yaml = kwhost_artifact::scaffold_manifest(
        &metadata,
        &args.module,
        &settings,
        kind,
        args.name.as_deref(),
    )
    .map_err(unusable(args.metadata_path.display()))?;
    write(args.output.as_deref(), yaml.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// One `policies.yml` for a stand-alone policy-server. Each `--policy` is
/// `ID=MODULE_REF,METADATA_PATH[,SETTINGS_PATH]`.
fn scaffold_policy_server_config(args: PolicyServerConfigArgs) -> Result<ExitCode, CommandError> {
    struct Parsed {
        id: String,
        module: String,
        metadata: Metadata,
        settings: serde_yaml::Value,
    }
    let mut parsed = Vec::new();
    for spec in &args.policies {
        let (id, rest) = spec.split_once('=').ok_or_else(|| {
            CommandError::Unusable(format!(
                "--policy '{spec}': expected ID=MODULE_REF,METADATA_PATH[,SETTINGS_PATH]"
            ))
        })?;
        let mut parts = rest.split(',');
        let (Some(module), Some(metadata)) = (parts.next(), parts.next()) else {
            return Err(CommandError::Unusable(format!(
                "--policy '{spec}': expected ID=MODULE_REF,METADATA_PATH[,SETTINGS_PATH]"
            )));
        };
        let settings_path = parts.next().map(PathBuf::from);
        parsed.push(Parsed {
            id: id.to_owned(),
            module: module.to_owned(),
            metadata: load_metadata(Path::new(metadata))?,
            settings: settings_yaml(settings_path.as_ref())?,
        });
    }
    let entries: Vec<PolicyServerEntry<'_>> = parsed
        .iter()
        .map(|p| PolicyServerEntry {
            id: &p.id,
            metadata: &p.metadata,
            module_ref: &p.module,
            settings: &p.settings,
            policy_mode: None,
        })
        .collect();
    let mut yaml = kwhost_artifact::scaffold_policy_server_config(&entries)
        .map_err(|e| CommandError::Unusable(format!("{e:#}")))?;
    if let Some(config) = &args.verification_config_path {
        kwhost_artifact::signing::VerificationConfig::parse(
            &read_text(config)?,
            &config.display().to_string(),
        )?;
        let policies = args
            .output
            .as_deref()
            .map_or_else(|| "policies.yml".to_owned(), |p| p.display().to_string());
        yaml = format!(
            "# Every module is verified before it is loaded:\n#   policy-server --policies {policies} --verification-path {}\n{yaml}",
            config.display()
        );
    }
    write(args.output.as_deref(), yaml.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
