//! `rbac-least-privilege`: denies over-broad Roles and dangerous bindings, including through the
//! roles they reference, and guards the identity workloads run as.

pub mod bindings;
pub mod effective;
pub mod evaluate;
pub mod matching;
pub mod roles;
pub mod rules;
pub mod sensitive;
pub mod settings;
pub mod workloads;

use policy_common::{Exemptions, Policy, Report, Request};
use std::borrow::Cow;

/// The policy: asks the host for the roles a binding references.
pub struct RbacLeastPrivilegePolicy;

impl Policy for RbacLeastPrivilegePolicy {
    type Settings = settings::Settings;
    type Host = dyn effective::RoleSource;
    const HOST: &'static dyn effective::RoleSource = &effective::HostRoles;

    /// Every operation: the rules pick theirs (CONNECT and UPDATE of any kind included).
    fn judges(_: &Request<'_>) -> bool {
        true
    }

    fn exemptions(settings: &settings::Settings) -> Cow<'_, Exemptions> {
        Cow::Borrowed(&settings.exemptions)
    }

    fn evaluate(
        request: &Request<'_>,
        settings: &settings::Settings,
        roles: &dyn effective::RoleSource,
    ) -> Report {
        evaluate::evaluate(request, settings, roles)
    }
}

policy_common::export_policy!(RbacLeastPrivilegePolicy);

#[cfg(test)]
mod hostile_tests;
