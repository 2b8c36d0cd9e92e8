//! `secret-handling`: how workloads consume Secrets, plaintext credentials, and the Secret,
//! ServiceAccount and ConfigMap objects themselves.

pub mod detect;
mod mutate;
pub mod plaintext;
mod pod;
mod secrets;
pub mod settings;
mod tokens;
mod volumes;

use kubewarden_policy_sdk::protocol_version_guest;
use policy_common::report::reject;
use policy_common::request::decode;
use policy_common::{Operation, PodSpec, Report, Request, WorkloadKind};
use serde_json::Value;
use settings::Settings;
use wapc_guest::{CallResult, register_function};

// Exported unmangled only in the wasm module, so the four policies link into one native
// benchmark binary.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function(
        "validate_settings",
        policy_common::settings::validate_settings::<Settings>,
    );
    register_function("protocol_version", protocol_version_guest);
}

pub fn validate(payload: &[u8]) -> CallResult {
    let request = match decode::<Settings>(payload) {
        Ok(r) => r,
        Err(e) => return reject(e),
    };
    let settings = request.settings;
    let settings = &settings;
    let req = Request::new(&request.request);
    if !req.is_create_or_update() || settings.exemptions.exempts(&req).is_some() {
        return Report::new().respond();
    }
    let mut report = Report::new();
    let object = req.object();
    if let Some(kind) = WorkloadKind::from_group_kind(req.group(), req.kind()) {
        check_workload(&req, kind, object, settings, &mut report);
    } else if req.group().is_empty() {
        match req.kind() {
            "Secret" => secrets::check(object, &settings.secrets, &mut report),
            "ConfigMap" => plaintext::check_config_map(object, &settings.plaintext, &mut report),
            "ServiceAccount" => {
                let mutated = settings
                    .mutation
                    .enabled
                    .then(|| mutate::service_account(object))
                    .flatten();
                let judged = mutated.as_ref().unwrap_or(object);
                tokens::check_service_account(judged, &settings.service_accounts, &mut report);
                if let Some(m) = mutated {
                    report.set_mutated(m);
                }
            }
            _ => {}
        }
    }
    report.respond()
}

fn check_workload(
    req: &Request<'_>,
    kind: WorkloadKind,
    object: &Value,
    settings: &Settings,
    report: &mut Report,
) {
    let only_ephemeral = kind == WorkloadKind::Pod && req.sub_resource() == "ephemeralcontainers";
    let Some(spec) = PodSpec::find(kind, object) else {
        return;
    };
    // A Pod's spec is immutable after creation: it can only be completed on CREATE.
    let mutable =
        !only_ephemeral && (kind != WorkloadKind::Pod || req.operation() == Operation::Create);
    let mutated = (settings.mutation.enabled && mutable)
        .then(|| mutate::workload(object, &spec, settings.volumes.max_mode.get()))
        .flatten();
    // The rules judge the object as it will be stored, i.e. after the mutation.
    let judged = mutated
        .as_ref()
        .and_then(|m| PodSpec::find(kind, m))
        .unwrap_or(spec);
    let ctx = pod::PodCtx {
        spec: judged,
        operation: req.operation(),
        only_ephemeral,
    };
    pod::check(&ctx, settings, report);
    if let Some(m) = mutated {
        report.set_mutated(m);
    }
}

#[cfg(test)]
mod tests;
