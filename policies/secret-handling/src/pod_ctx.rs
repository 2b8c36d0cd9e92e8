//! The PodSpec under review, as every pod rule sees it.

use policy_common::{Container, ContainerKind, Operation, PodSpec};

/// The name of a container for messages, redacted (`init container 'setup'`).
pub fn describe(c: &Container<'_>) -> String {
    format!(
        "{} '{}'",
        c.kind.label(),
        policy_common::redact::value(c.name())
    )
}

/// The PodSpec under review.
pub struct PodCtx<'a> {
    pub spec: PodSpec<'a>,
    pub operation: Operation,
    /// `pods/ephemeralcontainers`: only the ephemeral containers are new; the rest of the pod
    /// was admitted before and cannot change.
    pub only_ephemeral: bool,
}

impl<'a> PodCtx<'a> {
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        self.spec
            .containers()
            .filter(|c| !self.only_ephemeral || c.kind == ContainerKind::EphemeralContainer)
    }

    /// Pod-level fields (volumes, imagePullSecrets, automount) are judged.
    pub fn pod_level(&self) -> bool {
        !self.only_ephemeral
    }
}
