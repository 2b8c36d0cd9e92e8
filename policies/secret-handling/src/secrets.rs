//! Secret objects. Their contents are decoded only to check their shape and are never
//! quoted in a message.

use crate::detect::decode_base64;
use crate::rules::RuleId;
use crate::settings::{RequiredKey, Secrets};
use policy_common::Report;
use policy_common::glob::host_match;
use policy_common::redact::value as redacted;
use serde_json::Value;

pub fn check(object: &Value, settings: &Secrets, report: &mut Report) {
    let name = redacted(
        object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or(""),
    );
    let secret_type = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("Opaque");
    let shown_type = redacted(secret_type);
    if settings.denied_types.iter().any(|t| t == secret_type) {
        report.add(
            RuleId::SecretType.as_str(),
            settings.types,
            format!("Secret '{name}': type '{shown_type}' is denied"),
        );
    } else if !settings.allowed_types.is_empty()
        && !settings.allowed_types.iter().any(|t| t == secret_type)
    {
        report.add(
            RuleId::SecretType.as_str(),
            settings.types,
            format!("Secret '{name}': type '{shown_type}' is not in secrets.allowedTypes"),
        );
    }
    if settings.docker_config.is_on() {
        let key = match secret_type {
            "kubernetes.io/dockerconfigjson" => Some(".dockerconfigjson"),
            "kubernetes.io/dockercfg" => Some(".dockercfg"),
            _ => None,
        };
        if let Some(key) = key
            && let Err(problem) = docker_config(object, key, &settings.allowed_registries)
        {
            report.add(
                RuleId::DockerConfig.as_str(),
                settings.docker_config,
                format!("Secret '{name}' ({shown_type}): {problem}"),
            );
        }
    }
    if object.get("immutable").and_then(Value::as_bool) != Some(true) {
        report.add(
            RuleId::SecretImmutable.as_str(),
            settings.immutable,
            format!("Secret '{name}' is not immutable: true"),
        );
    }
    if settings.metadata.is_on() {
        for (what, field, required) in [
            ("label", "labels", &settings.required_labels),
            ("annotation", "annotations", &settings.required_annotations),
        ] {
            let present = object.pointer(&format!("/metadata/{field}"));
            for problem in missing(present, required, what) {
                report.add(
                    RuleId::SecretMetadata.as_str(),
                    settings.metadata,
                    format!("Secret '{name}': {problem}"),
                );
            }
        }
    }
}

fn missing(present: Option<&Value>, required: &[RequiredKey], what: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for r in required {
        match present.and_then(|m| m.get(&r.key)).and_then(Value::as_str) {
            None => problems.push(format!("required {what} '{}' is missing", r.key)),
            Some(value) => {
                let Some(pattern) = &r.pattern else { continue };
                let ok = regex_lite::Regex::new(&format!("^(?:{pattern})$"))
                    .map(|re| re.is_match(value))
                    .unwrap_or(true);
                if !ok {
                    problems.push(format!(
                        "{what} '{}' does not match the pattern '{pattern}'",
                        r.key
                    ));
                }
            }
        }
    }
    problems
}

/// Checks a docker config Secret; the error names the problem, never the content.
fn docker_config(object: &Value, key: &str, allowed: &[String]) -> Result<(), String> {
    let bytes = match object.pointer(&format!("/data/{key}")) {
        Some(Value::String(encoded)) => decode_base64(encoded.trim().as_bytes())
            .ok_or_else(|| format!("data '{key}' is not valid base64"))?,
        Some(_) => return Err(format!("data '{key}' is not a string")),
        None => match object.pointer(&format!("/stringData/{key}")) {
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            _ => return Err(format!("data '{key}' is missing")),
        },
    };
    let config: Value =
        serde_json::from_slice(&bytes).map_err(|_| format!("data '{key}' is not valid JSON"))?;
    let registries = if key == ".dockerconfigjson" {
        config
            .get("auths")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("data '{key}' has no 'auths' object"))?
    } else {
        config
            .as_object()
            .ok_or_else(|| format!("data '{key}' is not a JSON object"))?
    };
    if allowed.is_empty() {
        return Ok(());
    }
    for registry in registries.keys() {
        let host = registry_host(registry);
        if !allowed.iter().any(|p| host_match(p, &host)) {
            return Err(format!(
                "registry '{}' is not in secrets.allowedRegistries",
                redacted(&host)
            ));
        }
    }
    Ok(())
}

/// `https://index.docker.io/v1/` -> `index.docker.io` (lower case, no scheme, no path).
fn registry_host(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    k.split('/').next().unwrap_or("").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_hosts() {
        assert_eq!(
            registry_host("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(
            registry_host("Registry.Corp.Example:5000"),
            "registry.corp.example:5000"
        );
    }
}
