//! The rules judged on the reference alone (`registry`, `repository`, `tag`, `digest`): each
//! returns why a parsed reference violates it, or `None`.

use crate::semver::is_semver_tag;
use crate::settings::{Digests, Registries, Repositories, Tags};
use policy_common::glob::glob_match;
use policy_common::image::ImageRef;

pub fn registry(s: &Registries, image: &ImageRef) -> Option<String> {
    let host = image.registry();
    if let Some(p) = s.reject.iter().find(|p| p.matches(host)) {
        return Some(format!(
            "registry '{host}' is rejected (registries.reject '{p}')"
        ));
    }
    if !s.allow.is_empty() && !s.allow.iter().any(|p| p.matches(host)) {
        return Some(format!("registry '{host}' is not in registries.allow"));
    }
    None
}

pub fn repository(s: &Repositories, image: &ImageRef) -> Option<String> {
    if let Some(p) = s.reject.iter().find(|p| p.matches(image)) {
        return Some(format!(
            "repository '{}' is rejected (repositories.reject '{p}')",
            image.name()
        ));
    }
    if !s.allow.is_empty() && !s.allow.iter().any(|p| p.matches(image)) {
        return Some(format!(
            "repository '{}' is not in repositories.allow",
            image.name()
        ));
    }
    None
}

pub fn tag(s: &Tags, image: &ImageRef) -> Option<String> {
    if s.require_tag_or_digest && image.tag().is_none() && image.digest().is_none() {
        return Some(
            "the reference has neither a tag nor a digest (tags.requireTagOrDigest)".into(),
        );
    }
    // A digest-only reference is pinned: it has no tag to ban or to require a pattern of.
    let tag = image.effective_tag()?;
    let implicit = if image.tag().is_none() {
        " (implicit)"
    } else {
        ""
    };
    if let Some(p) = s.reject.iter().find(|p| glob_match(p, tag)) {
        return Some(format!(
            "tag '{tag}'{implicit} is rejected (tags.reject '{p}')"
        ));
    }
    let restricted = !s.allow.is_empty() || s.allow_semver;
    if restricted
        && !(s.allow.iter().any(|p| glob_match(p, tag)) || s.allow_semver && is_semver_tag(tag))
    {
        let wanted = match (s.allow.is_empty(), s.allow_semver) {
            (true, _) => "a semantic version".to_owned(),
            (false, false) => "one of tags.allow".to_owned(),
            (false, true) => "a semantic version or one of tags.allow".to_owned(),
        };
        return Some(format!("tag '{tag}'{implicit} is not {wanted}"));
    }
    None
}

pub fn digest(s: &Digests, image: &ImageRef) -> Option<String> {
    if !s.require || image.digest().is_some() || s.exempt.iter().any(|p| p.matches(image)) {
        return None;
    }
    Some("the reference has no digest (digests.require)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    fn digest_ref(name: &str) -> String {
        format!("{name}@sha256:{}", "c".repeat(64))
    }

    #[test]
    fn registry_allow_and_reject_lists() {
        let s: Registries =
            parse(json!({"allow": ["registry.corp.example", "*.corp.example", "localhost:5000"]}));
        assert_eq!(registry(&s, &image("registry.corp.example/app:1")), None);
        assert_eq!(registry(&s, &image("REGISTRY.Corp.Example/app:1")), None);
        assert_eq!(registry(&s, &image("eu.mirror.corp.example/app:1")), None);
        assert_eq!(registry(&s, &image("localhost:5000/app")), None);
        let m = registry(&s, &image("registry.corp.example.evil.io/app:1")).unwrap();
        assert_eq!(
            m,
            "registry 'registry.corp.example.evil.io' is not in registries.allow"
        );
        assert!(
            registry(&s, &image("localhost/app")).is_some(),
            "port is part of the host"
        );
        assert!(
            registry(&s, &image("nginx")).is_some(),
            "docker.io is implicit"
        );

        let s: Registries = parse(json!({"reject": ["docker.io"]}));
        let m = registry(&s, &image("nginx")).unwrap();
        assert_eq!(
            m,
            "registry 'docker.io' is rejected (registries.reject 'docker.io')"
        );
        assert!(registry(&s, &image("index.docker.io/library/nginx")).is_some());
        assert!(registry(&s, &image("bitnami/redis")).is_some());
        assert!(registry(&s, &image("ghcr.io/x")).is_none());
        assert!(registry(&Registries::default(), &image("anything.example/x")).is_none());
    }

    #[test]
    fn repository_allow_and_reject_lists() {
        let s: Repositories = parse(json!({
            "allow": ["ghcr.io/org/*", "nginx:1.25", "ubuntu"],
            "reject": ["ghcr.io/org/legacy"]
        }));
        assert_eq!(repository(&s, &image("ghcr.io/org/app:v1")), None);
        assert_eq!(repository(&s, &image("nginx:1.25")), None);
        assert_eq!(
            repository(&s, &image("docker.io/library/ubuntu:22.04")),
            None
        );
        assert_eq!(
            repository(&s, &image("nginx:1.26")).unwrap(),
            "repository 'docker.io/library/nginx' is not in repositories.allow"
        );
        assert!(repository(&s, &image("ubuntumalicious")).is_some());
        assert!(
            repository(&s, &image("ghcr.io/org/team/app")).is_some(),
            "* stays in a segment"
        );
        assert!(
            repository(&s, &image(&digest_ref("nginx"))).is_some(),
            "tagged entry needs the tag"
        );
        assert_eq!(
            repository(&s, &image("ghcr.io/org/legacy:1")).unwrap(),
            "repository 'ghcr.io/org/legacy' is rejected (repositories.reject 'ghcr.io/org/legacy')"
        );
    }

    #[test]
    fn tag_rules() {
        let default = Tags::default();
        let m = tag(&default, &image("nginx")).unwrap();
        assert_eq!(
            m,
            "tag 'latest' (implicit) is rejected (tags.reject 'latest')"
        );
        assert!(tag(&default, &image("nginx:latest")).is_some());
        assert!(tag(&default, &image("nginx:1.25")).is_none());
        assert!(
            tag(&default, &image(&digest_ref("nginx"))).is_none(),
            "digest only is pinned"
        );
        assert!(
            tag(&default, &image(&digest_ref("nginx:latest"))).is_some(),
            "the written tag is judged"
        );

        let s: Tags = parse(json!({"reject": ["latest", "*-rc*"], "allowSemver": true}));
        assert!(tag(&s, &image("app:1.2.3")).is_none());
        assert!(tag(&s, &image("app:v2.0.0")).is_none());
        assert_eq!(
            tag(&s, &image("app:1.2.3-rc1")).unwrap(),
            "tag '1.2.3-rc1' is rejected (tags.reject '*-rc*')"
        );
        assert_eq!(
            tag(&s, &image("app:stable")).unwrap(),
            "tag 'stable' is not a semantic version"
        );

        let s: Tags = parse(json!({"reject": [], "allow": ["v*"], "allowSemver": true}));
        assert!(tag(&s, &image("app:vnext")).is_none());
        assert!(tag(&s, &image("app:1.0.0")).is_none());
        assert_eq!(
            tag(&s, &image("app:main")).unwrap(),
            "tag 'main' is not a semantic version or one of tags.allow"
        );
        let s: Tags = parse(json!({"reject": [], "allow": ["stable"]}));
        assert_eq!(
            tag(&s, &image("app:main")).unwrap(),
            "tag 'main' is not one of tags.allow"
        );
        assert!(tag(&s, &image(&digest_ref("app"))).is_none());

        let s: Tags = parse(json!({"reject": [], "requireTagOrDigest": true}));
        assert!(
            tag(&s, &image("app"))
                .unwrap()
                .contains("neither a tag nor a digest")
        );
        assert!(tag(&s, &image("app:latest")).is_none());
        assert!(tag(&s, &image(&digest_ref("app"))).is_none());
        assert!(
            tag(
                &parse::<Tags>(json!({"reject": ["latest"]})),
                &image("app:LATEST")
            )
            .is_none(),
            "tags are case-sensitive"
        );
    }

    #[test]
    fn digest_rule_with_boundary_exemptions() {
        let off = Digests::default();
        assert!(digest(&off, &image("nginx")).is_none());
        let s: Digests =
            parse(json!({"require": true, "exempt": ["ghcr.io/org/base", "localhost:5000"]}));
        assert_eq!(
            digest(&s, &image("nginx:1.25")).unwrap(),
            "the reference has no digest (digests.require)"
        );
        assert!(digest(&s, &image(&digest_ref("nginx:1.25"))).is_none());
        assert!(digest(&s, &image("ghcr.io/org/base:1")).is_none());
        assert!(digest(&s, &image("ghcr.io/org/base/child:1")).is_none());
        assert!(digest(&s, &image("ghcr.io/org/baseline:1")).is_some());
        assert!(digest(&s, &image("localhost:5000/x")).is_none());
        assert!(digest(&s, &image("localhost:50001/x")).is_some());
    }
}
