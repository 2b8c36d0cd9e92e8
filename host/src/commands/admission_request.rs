//! `kwhost scaffold admission-request` (as `kwctl scaffold admission-request`): a plain object
//! file in (`kubectl get -o yaml`), the AdmissionReview the API server would send out, ready
//! to be a suite fixture or `kwhost run --request-path`.

use std::path::PathBuf;
use std::process::ExitCode;

use kwhost_suite::review::{Operation, Requester, admission_review};
use sha2::{Digest, Sha256};

use super::CommandError;
use super::run::read_request;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OperationArg {
    Create,
    Update,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Yaml,
}

#[derive(Debug, clap::Args)]
pub struct AdmissionRequestArgs {
    #[arg(long, value_enum, ignore_case = true)]
    pub operation: OperationArg,
    /// The object (JSON or YAML; `-`: stdin): the new one for CREATE and UPDATE, the deleted
    /// one for DELETE.
    #[arg(long)]
    pub object: PathBuf,
    /// The stored object an UPDATE replaces.
    #[arg(long)]
    pub old_object: Option<PathBuf>,
    /// `userInfo.username` of the request.
    #[arg(long, default_value = "kubernetes-admin")]
    pub user: String,
    /// `userInfo.groups`, repeatable.
    #[arg(long = "group", default_values_t = ["system:masters".to_owned(), "system:authenticated".to_owned()])]
    pub groups: Vec<String>,
    /// Namespace of a namespaced object that names none (default: `default`).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// `request.uid` (default: derived from the request, so the output is reproducible).
    #[arg(long)]
    pub uid: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

/// A UUID-shaped id from the SHA-256 of `bytes`.
fn derived_uid(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

pub fn execute(args: AdmissionRequestArgs) -> Result<ExitCode, CommandError> {
    let object = read_request(&args.object)?;
    let old_object = args.old_object.as_deref().map(read_request).transpose()?;
    let operation = match args.operation {
        OperationArg::Create => Operation::Create,
        OperationArg::Update => Operation::Update,
        OperationArg::Delete => Operation::Delete,
    };
    let mut requester = Requester {
        uid: args.uid.clone().unwrap_or_default(),
        username: args.user,
        groups: args.groups,
        default_namespace: args.namespace,
    };
    let build = |requester: &Requester| {
        admission_review(operation, &object, old_object.as_ref(), requester)
            .map_err(|e| CommandError::Unusable(e.to_string()))
    };
    let mut review = build(&requester)?;
    if args.uid.is_none() {
        requester.uid = derived_uid(review.to_string().as_bytes());
        review = build(&requester)?;
    }
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&review).expect("JSON serialises") + "\n",
        Format::Yaml => serde_yaml::to_string(&review)
            .map_err(|e| CommandError::Failed(format!("cannot write YAML: {e}")))?,
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CommandError::Failed(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
