//! `image-provenance`: trusted registries, immutable references, digest pinning and signatures
//! for the images of every workload kind.

pub mod evaluate;
pub mod host;
pub mod provenance;
pub mod rules;
pub mod semver;
pub mod settings;
pub mod static_rules;

#[cfg(test)]
mod properties;

use policy_common::{Exemptions, Policy, Report, Request};
use std::borrow::Cow;

/// The policy: asks the host for manifest digests and signature verifications.
pub struct ImageProvenancePolicy;

impl Policy for ImageProvenancePolicy {
    type Settings = settings::Settings;
    type Host = dyn host::Host;
    const HOST: &'static dyn host::Host = &host::WapcHost;

    fn exemptions(settings: &settings::Settings) -> Cow<'_, Exemptions> {
        Cow::Owned(settings.exemptions.common())
    }

    fn evaluate(
        request: &Request<'_>,
        settings: &settings::Settings,
        host: &dyn host::Host,
    ) -> Report {
        evaluate::evaluate(request, settings, host)
    }
}

policy_common::export_policy!(ImageProvenancePolicy);
