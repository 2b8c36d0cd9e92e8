//! Walks the containers of a request and applies every rule to each image reference.

use crate::host::Host;
use crate::provenance::{Cache, pinned};
use crate::rules::RuleId;
use crate::settings::{OnUpdate, Settings};
use crate::static_rules;
use policy_common::image::ImageRef;
use policy_common::redact;
use policy_common::shape::Malformed;
use policy_common::workload::{Container, ContainerKind, PodSpec, WorkloadKind};
use policy_common::{Action, Operation, Report, Request};
use serde_json::Value;

/// Every rule on every container of a judged request.
pub fn evaluate(request: &Request<'_>, settings: &Settings, host: &dyn Host) -> Report {
    let mut report = Report::new();
    let Some(kind) = WorkloadKind::from_group_kind(request.group(), request.kind()) else {
        return report;
    };
    // `image-reference` reads every container and is always `deny`: a field on the way to an
    // image that cannot be read is denied.
    let spec = match PodSpec::locate(kind, request.object()) {
        Ok(Some(spec)) => spec,
        Ok(None) => return report,
        Err(problem) => {
            report.malformed(&problem, Action::Deny);
            return report;
        }
    };
    let ephemeral_only = request.sub_resource() == "ephemeralcontainers";
    let update = request.operation() == Operation::Update;
    // The old PodSpec, when a container that did not change is skipped: always on the
    // ephemeral containers subresource (existing ephemeral containers are immutable), and with
    // `onUpdate: changed`. An old object that cannot be read skips nothing.
    let old = (update && (ephemeral_only || settings.on_update == OnUpdate::Changed))
        .then(|| PodSpec::locate(kind, request.old_object()).ok().flatten())
        .flatten();
    let mut cache = Cache::default();
    for container in spec.containers() {
        // Only the lists the request can change: `pods/ephemeralcontainers` changes only
        // ephemeral containers, and an UPDATE of a Pod itself cannot change them.
        let ephemeral = container.kind == ContainerKind::EphemeralContainer;
        if ephemeral_only != ephemeral && (ephemeral_only || (update && kind == WorkloadKind::Pod))
        {
            continue;
        }
        if old.is_some_and(|old| unchanged(&old, &container)) {
            continue;
        }
        let mut check = ContainerCheck {
            settings,
            container: &container,
            report: &mut report,
            denied: false,
        };
        if let Some(rewritten) = check.run(host, &mut cache) {
            let object = report.mutated_or(request.object());
            let pointer = format!("{}/image", container.pointer());
            policy_common::json::set(object, &pointer, Value::String(rewritten));
        }
    }
    report
}

/// `init container 'setup'`, the name redacted (it is request input).
pub fn describe(container: &Container<'_>) -> String {
    format!(
        "{} '{}'",
        container.kind.label(),
        redact::value(container.name())
    )
}

/// The old object has the same container (same kind and name) with the same reference, as
/// written or after normalisation.
fn unchanged(old: &PodSpec<'_>, container: &Container<'_>) -> bool {
    let Some(new_image) = container.image() else {
        return false;
    };
    old.containers()
        .find(|c| c.kind == container.kind && c.name() == container.name())
        .and_then(|c| c.image())
        .is_some_and(|old_image| {
            old_image == new_image
                || matches!((ImageRef::parse(old_image), ImageRef::parse(new_image)),
                            (Ok(a), Ok(b)) if a.to_string() == b.to_string())
        })
}

struct ContainerCheck<'s, 'r> {
    settings: &'s Settings,
    container: &'r Container<'r>,
    report: &'r mut Report,
    denied: bool,
}

impl ContainerCheck<'_, '_> {
    fn add(&mut self, rule: RuleId, action: Action, image: &ImageRef, detail: &str) {
        self.denied |= action == Action::Deny;
        self.report.add(
            rule.as_str(),
            action,
            format!(
                "{}: image '{}' violates rule '{}': {}",
                describe(self.container),
                redact::value(&image.to_string()),
                rule.as_str(),
                redact::value(detail)
            ),
        );
    }

    /// Applies the rules in order: static rules first, then (only for images no static rule
    /// denied) pinning, the digest requirement and signatures. Returns the rewritten reference
    /// when pinning or signature verification added a digest.
    fn run(&mut self, host: &dyn Host, cache: &mut Cache) -> Option<String> {
        let s = self.settings;
        let describe = describe(self.container);
        let written = match self.container.get("image") {
            Some(Value::String(image)) => image.as_str(),
            Some(Value::Null) | None => {
                self.report.add(
                    RuleId::ImageReference.as_str(),
                    Action::Deny,
                    format!(
                        "{describe}: has no image (rule '{}')",
                        RuleId::ImageReference.as_str()
                    ),
                );
                return None;
            }
            Some(_) => {
                let pointer = format!("{}/image", self.container.pointer());
                self.report
                    .malformed(&Malformed::new(pointer, "a string"), Action::Deny);
                return None;
            }
        };
        let image = match ImageRef::parse(written) {
            Ok(image) => image,
            Err(e) => {
                self.report.add(
                    RuleId::ImageReference.as_str(),
                    Action::Deny,
                    format!(
                        "{describe}: image reference {:?} violates rule '{}': {}",
                        redact::value(written),
                        RuleId::ImageReference.as_str(),
                        redact::value(&e.to_string())
                    ),
                );
                return None;
            }
        };
        if s.exemptions.images.iter().any(|p| p.matches(&image)) {
            return None;
        }

        for (rule, action, found) in [
            (
                RuleId::Registry,
                s.registries.action,
                static_rules::registry(&s.registries, &image),
            ),
            (
                RuleId::Repository,
                s.repositories.action,
                static_rules::repository(&s.repositories, &image),
            ),
            (
                RuleId::Tag,
                s.tags.action,
                static_rules::tag(&s.tags, &image),
            ),
        ] {
            if let Some(detail) = found.filter(|_| action.is_on()) {
                self.add(rule, action, &image, &detail);
            }
        }
        if self.denied {
            return None;
        }

        let mut effective = image.clone();
        if s.pinning.enabled && image.digest().is_none() {
            match cache.resolve(host, &image) {
                Ok(digest) => effective = pinned(&image, &digest),
                Err(e) => self.add(
                    RuleId::DigestPinning,
                    s.pinning.on_lookup_failure,
                    &image,
                    &e.0,
                ),
            }
        }
        if let Some(detail) =
            static_rules::digest(&s.digests, &effective).filter(|_| s.digests.action.is_on())
        {
            self.add(RuleId::Digest, s.digests.action, &image, &detail);
        }
        if self.denied {
            return None;
        }

        if s.signatures.action.is_on() {
            let mut verified = None;
            for (i, rule) in s.signatures.rules.iter().enumerate() {
                if !rule.images.iter().any(|p| p.matches(&image)) {
                    continue;
                }
                // Once one rule has verified a digest, later rules verify that same content.
                let target = match &verified {
                    Some(digest) => pinned(&effective, digest),
                    None => effective.clone(),
                };
                match cache.verify_rule(host, &target, i, rule) {
                    Ok(digest) => verified = Some(digest),
                    Err(e) => {
                        let detail = format!("signature rule '{}': {}", rule.label(i), e.0);
                        self.add(RuleId::Signature, s.signatures.action, &image, &detail);
                    }
                }
            }
            if let Some(digest) = verified.filter(|_| s.signatures.mutate_to_digest && !self.denied)
            {
                effective = pinned(&effective, &digest);
            }
        }
        (effective != image && !self.denied).then(|| effective.to_string())
    }
}

#[cfg(test)]
mod tests;
