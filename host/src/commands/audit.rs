//! `kwhost audit`: what would these policies say about what is already in the cluster? Every
//! object of a dump (`kubectl get -A -o json`, YAML, folders, stdin) is judged as a CREATE by
//! every policy whose metadata rules select it, offline, with the same modules the
//! policy-server runs. The dump is the world of context-aware policies; a capability the dump
//! cannot answer (an image digest, a signature) makes the result an `error`, never a `pass`.
//!
//! Policies come from a folder of annotated modules, each with its settings beside it
//! (`name.wasm`, `name.yaml`/`.yml`/`.json`). Policies whose metadata says
//! `backgroundAudit: false` are skipped, as Kubewarden's audit-scanner skips them.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use kwhost_artifact::metadata::{Operation as RuleOperation, RequestedResource};
use kwhost_suite::api_resources::kind_of;
use kwhost_suite::dump::Dump;
use kwhost_suite::review::{Operation, Requester, admission_review};
use serde_json::{Value, json};

use super::run::read_settings;
use super::{AllocationChoice, CommandError, new_runtime_with};
use crate::capabilities::{CallbackRequest, CapabilityBackend, RecordingBackend, World};
use crate::evaluation::{Outcome, Policy, PolicyOptions, evaluate};
use crate::model::admission_request::normalise;
use crate::model::document::InputError;
use crate::model::runner::parallel_map;
use crate::model::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Exit 1 when a policy would deny something.
    Deny,
    /// Exit 1 when a policy would deny or warn.
    Warn,
    /// Exit 0 whatever the verdicts.
    Never,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The cluster's objects: files or folders of JSON/YAML (Lists, multi-document YAML), `-`
    /// for stdin.
    #[arg(required = true)]
    pub resources: Vec<PathBuf>,
    /// A folder of annotated policy modules, each with its settings beside it.
    #[arg(short = 'p', long)]
    pub policies: PathBuf,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// When the exit status is 1.
    #[arg(long, value_enum, default_value_t = FailOn::Deny)]
    pub fail_on: FailOn,
    /// Resources judged at once (default: one per core).
    #[arg(short = 'j', long)]
    pub jobs: Option<NonZeroUsize>,
}

/// One policy of the audit.
struct AuditedPolicy {
    name: String,
    policy: Policy,
    settings: Settings,
}

/// The verdict of one policy on one resource (wgpolicyk8s.io result values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
    Error,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditResult {
    /// `kind namespace/name`, or the origin in the dump when the object cannot be named.
    pub resource: String,
    /// Empty when no policy could judge the resource (an unknown kind, a malformed object).
    pub policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub verdict: Verdict,
    pub message: String,
}

fn policy_set(
    dir: &Path,
    runtime: &crate::runtime::Runtime,
) -> Result<Vec<AuditedPolicy>, CommandError> {
    let mut modules: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "wasm"))
        .collect();
    modules.sort();
    if modules.is_empty() {
        return Err(
            InputError::new(format!("{}: no policy module (*.wasm)", dir.display())).into(),
        );
    }
    let mut set = Vec::new();
    for module in modules {
        let name = module
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let policy = Policy::load(runtime, &module)?;
        let Some(metadata) = &policy.metadata else {
            return Err(InputError::new(format!(
                "{}: not annotated: the audit needs the metadata's rules (kwhost annotate)",
                module.display()
            ))
            .into());
        };
        if !metadata.background_audit {
            eprintln!("audit: {name} skipped: its metadata says backgroundAudit: false");
            continue;
        }
        let settings_path = ["yaml", "yml", "json"]
            .iter()
            .map(|ext| module.with_extension(ext))
            .find(|path| path.is_file());
        let settings = read_settings(settings_path.as_deref(), None)?;
        set.push(AuditedPolicy {
            name,
            policy,
            settings,
        });
    }
    Ok(set)
}

fn name_of(object: &Value, origin: &str) -> String {
    let text = |p: &str| object.pointer(p).and_then(Value::as_str);
    match (
        text("/kind"),
        text("/metadata/namespace"),
        text("/metadata/name"),
    ) {
        (Some(kind), Some(ns), Some(name)) => format!("{kind} {ns}/{name}"),
        (Some(kind), None, Some(name)) => format!("{kind} {name}"),
        _ => origin.to_owned(),
    }
}

fn judge(
    object: &Value,
    origin: &str,
    policies: &[AuditedPolicy],
    world: &Arc<World>,
) -> Vec<AuditResult> {
    let resource = name_of(object, origin);
    let error = |policy: &str, message: String| AuditResult {
        resource: resource.clone(),
        policy: policy.to_owned(),
        rule: None,
        verdict: Verdict::Error,
        message,
    };
    let text = |p: &str| object.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (gv, kind) = match kind_of(text("/apiVersion"), text("/kind")) {
        Ok(found) => found,
        Err(e) => return vec![error("", format!("{origin}: {e}"))],
    };
    let requested = RequestedResource {
        group: &gv.group,
        version: &gv.version,
        resource: kind.resource,
        subresource: None,
        operation: RuleOperation::Create,
    };
    let requester = Requester {
        uid: format!("audit-{origin}"),
        username: "kwhost-audit".to_owned(),
        groups: vec!["system:authenticated".to_owned()],
        default_namespace: None,
    };
    let review = match admission_review(Operation::Create, object, None, &requester)
        .map_err(|e| e.to_string())
        .and_then(|review| normalise(review, origin).map_err(|e| e.to_string()))
    {
        Ok(request) => request,
        Err(message) => return vec![error("", format!("{origin}: {message}"))],
    };
    let options = PolicyOptions {
        allow_context_aware: true,
        capture_guest_output: true,
        ..PolicyOptions::default()
    };
    let mut results = Vec::new();
    for audited in policies {
        let selects = audited
            .policy
            .metadata
            .as_ref()
            .is_some_and(|m| m.rules.iter().any(|r| r.matches(&requested)));
        if !selects {
            continue;
        }
        let recorder = Arc::new(RecordingBackend::new(world.clone()));
        let backend: Arc<dyn CapabilityBackend> = recorder.clone();
        let outcome = evaluate(
            &audited.policy,
            &options,
            backend,
            &audited.settings,
            &review,
        );
        // A get or list the dump answers "not found" is an answer (the object is not in the
        // cluster); what the dump cannot know (registries, signatures, DNS, authorization) is not.
        let unanswered: Vec<String> = recorder
            .errors()
            .into_iter()
            .filter(|(request, _)| {
                !matches!(
                    request,
                    CallbackRequest::KubernetesGetResource { .. }
                        | CallbackRequest::KubernetesListResourceAll { .. }
                        | CallbackRequest::KubernetesListResourceNamespace { .. }
                )
            })
            .map(|(_, message)| message)
            .collect();
        let result = match outcome {
            Err(e) => error(&audited.name, e.to_string()),
            Ok(Outcome::InvalidSettings(message)) => {
                error(&audited.name, format!("settings not valid: {message}"))
            }
            Ok(Outcome::Response(_)) if !unanswered.is_empty() => error(
                &audited.name,
                format!(
                    "the dump cannot answer the policy's host capability calls: {}",
                    unanswered.join("; ")
                ),
            ),
            Ok(Outcome::Response(response)) => {
                let rule = response
                    .audit_annotations
                    .as_ref()
                    .and_then(|a| a.keys().next().cloned());
                let warnings = response.warnings.clone().unwrap_or_default();
                let (verdict, message) = if !response.allowed {
                    let message = response
                        .status
                        .as_ref()
                        .and_then(|s| s.message.clone())
                        .unwrap_or_default();
                    (Verdict::Fail, message)
                } else if !warnings.is_empty() {
                    (Verdict::Warn, warnings.join("; "))
                } else {
                    (Verdict::Pass, String::new())
                };
                AuditResult {
                    resource: resource.clone(),
                    policy: audited.name.clone(),
                    rule,
                    verdict,
                    message,
                }
            }
        };
        results.push(result);
    }
    results
}

fn print_table(results: &[AuditResult], policies: &[AuditedPolicy]) {
    println!(
        "{:<40} {:<24} {:<22} {:<7} message",
        "resource", "policy", "rule", "verdict"
    );
    for r in results {
        let verdict = serde_json::to_value(r.verdict).unwrap_or_default();
        println!(
            "{:<40} {:<24} {:<22} {:<7} {}",
            r.resource,
            r.policy,
            r.rule.as_deref().unwrap_or("-"),
            verdict.as_str().unwrap_or(""),
            r.message
        );
    }
    println!();
    println!(
        "{:<24} {:>6} {:>6} {:>6} {:>6}",
        "policy", "pass", "warn", "fail", "error"
    );
    let names: Vec<&str> = policies
        .iter()
        .map(|p| p.name.as_str())
        .chain(std::iter::once(""))
        .collect();
    for name in names {
        let count = |v: Verdict| {
            results
                .iter()
                .filter(|r| r.policy == name && r.verdict == v)
                .count()
        };
        let counts = [Verdict::Pass, Verdict::Warn, Verdict::Fail, Verdict::Error].map(count);
        if name.is_empty() && counts.iter().all(|&c| c == 0) {
            continue;
        }
        println!(
            "{:<24} {:>6} {:>6} {:>6} {:>6}",
            if name.is_empty() { "(no policy)" } else { name },
            counts[0],
            counts[1],
            counts[2],
            counts[3]
        );
    }
}

pub fn execute(args: AuditArgs) -> Result<ExitCode, CommandError> {
    let dump = Dump::read(&args.resources)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    let runtime = new_runtime_with(AllocationChoice::Pooling.for_workers(jobs.get()))?;
    let policies = policy_set(&args.policies, &runtime)?;
    // The dump is the world: JSON is YAML.
    let objects: Vec<&Value> = dump.objects.iter().map(|o| &o.object).collect();
    let world = Arc::new(
        World::from_yaml_in(
            &json!({"kubernetes": {"objects": objects}}).to_string(),
            "the dump",
        )
        .map_err(|e| InputError::new(e.to_string()))?,
    );
    let mut results: Vec<AuditResult> = dump
        .problems
        .iter()
        .map(|p| AuditResult {
            resource: p.origin.clone(),
            policy: String::new(),
            rule: None,
            verdict: Verdict::Error,
            message: p.message.clone(),
        })
        .collect();
    results.extend(
        parallel_map(&dump.objects, jobs, |o| {
            judge(&o.object, &o.origin, &policies, &world)
        })
        .into_iter()
        .flatten(),
    );
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&results).expect("results serialise")
        );
    } else {
        print_table(&results, &policies);
    }
    let worst = |v: Verdict| results.iter().any(|r| r.verdict == v);
    let failing = match args.fail_on {
        FailOn::Deny => worst(Verdict::Fail),
        FailOn::Warn => worst(Verdict::Fail) || worst(Verdict::Warn),
        FailOn::Never => false,
    };
    Ok(if failing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
