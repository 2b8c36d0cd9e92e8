//! `secret-handling`: how workloads consume Secrets, plaintext credentials, and the Secret,
//! ServiceAccount and ConfigMap objects themselves.

pub mod detect;
mod evaluate;
mod mutate;
pub mod plaintext;
mod pod_ctx;
mod pull_secrets;
mod references;
pub mod rules;
mod secrets;
pub mod settings;
mod shapes;
mod tokens;
mod volumes;
mod workload;

use policy_common::{Exemptions, Policy, Report, Request};
use std::borrow::Cow;

/// The policy: asks the host nothing.
pub struct SecretHandlingPolicy;

impl Policy for SecretHandlingPolicy {
    type Settings = settings::Settings;
    type Host = ();
    const HOST: &'static () = &();

    fn exemptions(settings: &settings::Settings) -> Cow<'_, Exemptions> {
        Cow::Borrowed(&settings.exemptions)
    }

    fn evaluate(request: &Request<'_>, settings: &settings::Settings, _: &()) -> Report {
        evaluate::evaluate(request, settings)
    }
}

policy_common::export_policy!(SecretHandlingPolicy);

#[cfg(test)]
mod tests;
