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

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function(
        "validate_settings",
        policy_common::settings::validate_settings::<Settings>,
    );
    register_function("protocol_version", protocol_version_guest);
}

pub fn validate(payload: &[u8]) -> CallResult {
    // The settings are read as a `Value` and then parsed by the same code as in
    // `validate_settings`: deserialising `Settings` once per deserializer type would ship every
    // settings struct's serde code twice.
    let request = match decode::<Value>(payload) {
        Ok(r) => r,
        Err(e) => return reject(e),
    };
    let settings = match parse_settings(&request.settings) {
        Ok(s) => s,
        Err(e) => return reject(e),
    };
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

/// The `settings` of a `validate` payload. The error has the shape of a request decoding error
/// and never quotes a value (double-quoted parts are elided, as in `describe_serde_error`).
fn parse_settings(raw: &Value) -> Result<Settings, String> {
    policy_common::settings::parse::<Settings>(&serde_json::to_vec(raw).unwrap_or_default())
        .map_err(|e| {
            let mut out = String::from("cannot decode the validation request: ");
            let mut quoted = false;
            for c in e.chars() {
                match c {
                    '"' if !quoted => {
                        quoted = true;
                        out.push_str("\"…");
                    }
                    '"' => {
                        quoted = false;
                        out.push('"');
                    }
                    _ if quoted => {}
                    _ => out.push(c),
                }
            }
            out
        })
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
