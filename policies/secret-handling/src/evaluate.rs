//! Which rules judge which object: workloads, Secrets, ConfigMaps and ServiceAccounts.

use crate::settings::Settings;
use crate::{mutate, plaintext, secrets, shapes, tokens, workload};
use policy_common::{Report, Request, WorkloadKind};

pub fn evaluate(req: &Request<'_>, settings: &Settings) -> Report {
    let mut report = Report::new();
    let object = req.object();
    if let Some(kind) = WorkloadKind::from_group_kind(req.group(), req.kind()) {
        workload::check(req, kind, object, settings, &mut report);
    } else if req.group().is_empty() {
        match req.kind() {
            "Secret" => {
                shapes::check_secret(object, settings, &mut report);
                secrets::check(object, &settings.secrets, &mut report);
            }
            "ConfigMap" => plaintext::check_config_map(object, &settings.plaintext, &mut report),
            "ServiceAccount" => {
                let in_scope = settings
                    .service_accounts
                    .automount_applies_to(req.name(), req.namespace());
                let mutated = (settings.mutation.enabled && in_scope)
                    .then(|| mutate::service_account(object))
                    .flatten();
                let judged = mutated.as_ref().unwrap_or(object);
                shapes::check_service_account(judged, settings, &mut report);
                tokens::check_service_account(
                    judged,
                    &settings.service_accounts,
                    in_scope,
                    &mut report,
                );
                if let Some(m) = mutated {
                    report.set_mutated(m);
                }
            }
            _ => {}
        }
    }
    report
}
