//! Fail closed: every field a rule of this policy reads, checked for the type Kubernetes sends
//! there. A field present with another type is a `malformed` finding (never skipped as if
//! absent) whose action is the strictest among the rules that read it; a field no rule that is
//! on reads is not checked (`docs/security.md`, precedence).

use crate::pod_ctx::PodCtx;
use crate::settings::Settings;
use policy_common::json::escape_token;
use policy_common::shape::{self, Malformed};
use policy_common::{Action, Report};
use serde_json::Value;

/// The strictest of the actions of the rules that read a field.
fn strictest(actions: &[Action]) -> Action {
    actions.iter().fold(Action::Off, |a, b| a.strictest(*b))
}

/// Records `result`'s problem, if any, under `action`; the value read otherwise.
pub fn read<T>(report: &mut Report, action: Action, result: Result<T, Malformed>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(problem) => {
            report.malformed(&problem, action);
            None
        }
    }
}

/// `shape` reads inside `value`, whose own pointer is `prefix`.
fn within<T>(prefix: &str, result: Result<T, Malformed>) -> Result<T, Malformed> {
    result.map_err(|m| {
        let path = if m.path == "object" {
            prefix.to_string()
        } else {
            format!("{prefix}{}", m.path)
        };
        Malformed::new(path, m.expected)
    })
}

/// A scalar of the expected JSON type at `pointer`, absent or `null` allowed.
pub fn scalar(
    value: &Value,
    pointer: &str,
    ok: fn(&Value) -> bool,
    expected: &'static str,
) -> Result<(), Malformed> {
    match shape::at(value, pointer)? {
        Some(v) if !ok(v) => Err(Malformed::new(pointer, expected)),
        _ => Ok(()),
    }
}

fn is_mode(v: &Value) -> bool {
    v.as_u64().is_some_and(|m| m <= 0o777)
}

/// An object whose values are all strings (ConfigMap and Secret data, labels).
pub fn string_map(value: &Value, pointer: &str) -> Result<(), Malformed> {
    if let Some(map) = shape::object(value, pointer)?
        && let Some(key) = map.iter().find(|(_, v)| !v.is_string()).map(|(k, _)| k)
    {
        return Err(Malformed::new(
            format!("{pointer}/{}", escape_token(key)),
            "a string",
        ));
    }
    Ok(())
}

/// The PodSpec fields the pod rules read, and the actions of those rules.
pub fn check_pod(ctx: &PodCtx<'_>, s: &Settings, report: &mut Report) {
    let refs = if s.references.allowed_secrets.is_empty() {
        Action::Off
    } else {
        s.references.action
    };
    let plain = s.plaintext.action;
    let v = &s.volumes;
    let tokens = &s.service_account_token;
    let token_rules = !(tokens.skip_update && ctx.operation == policy_common::Operation::Update);
    let secret_ref = strictest(&[s.env_secrets.secret_key_ref, refs]);
    let env = strictest(&[secret_ref, plain]);
    let env_from = strictest(&[s.env_secrets.env_from, refs]);
    let mount_path = if token_rules {
        tokens.token_path_mount
    } else {
        Action::Off
    };
    let mounts = strictest(&[v.read_only, v.sub_path, mount_path]);
    let pull = s.image_pull_secrets.action;
    for c in ctx.containers() {
        let at = |pointer: &str| -> String { format!("{}{pointer}", c.pointer()) };
        let list = |report: &mut Report, field: &str, action: Action| -> &[Value] {
            let pointer = format!("/{field}");
            read(
                report,
                action,
                within(&c.pointer(), shape::object_list(c.value, &pointer)),
            )
            .unwrap_or(&[])
        };
        for (i, e) in list(report, "env", env).iter().enumerate() {
            let p = at(&format!("/env/{i}"));
            let checks = [
                (env, within(&p, shape::string(e, "/name").map(drop))),
                (plain, within(&p, shape::string(e, "/value").map(drop))),
                (env, within(&p, shape::object(e, "/valueFrom").map(drop))),
                (
                    secret_ref,
                    within(
                        &p,
                        shape::string(e, "/valueFrom/secretKeyRef/name").map(drop),
                    ),
                ),
            ];
            for (action, result) in checks {
                read(report, action, result);
            }
        }
        for (i, e) in list(report, "envFrom", env_from).iter().enumerate() {
            let p = at(&format!("/envFrom/{i}"));
            read(
                report,
                env_from,
                within(&p, shape::string(e, "/secretRef/name").map(drop)),
            );
        }
        for field in ["command", "args"] {
            let pointer = format!("/{field}");
            read(
                report,
                plain,
                within(
                    &c.pointer(),
                    shape::string_list(c.value, &pointer).map(drop),
                ),
            );
        }
        for (k, m) in list(report, "volumeMounts", mounts).iter().enumerate() {
            check_mount(report, &at(&format!("/volumeMounts/{k}")), m, s, mount_path);
        }
        read(
            report,
            pull,
            within(&c.pointer(), shape::string(c.value, "/image").map(drop)),
        );
    }
    if !ctx.pod_level() {
        return;
    }
    let spec = ctx.spec.spec;
    let field = |f: &str| ctx.spec.field_pointer(f);
    let volumes = strictest(&[
        s.references.secret_volumes,
        refs,
        v.mode,
        v.read_only,
        v.sub_path,
    ]);
    let items = read(
        report,
        volumes,
        within(ctx.spec.pointer, shape::object_list(spec, "/volumes")),
    )
    .unwrap_or(&[]);
    for (i, vol) in items.iter().enumerate() {
        check_volume(report, &format!("{}/{i}", field("volumes")), vol, s, refs);
    }
    let pulls = read(
        report,
        strictest(&[refs, pull]),
        within(
            ctx.spec.pointer,
            shape::object_list(spec, "/imagePullSecrets"),
        ),
    )
    .unwrap_or(&[]);
    for (i, p) in pulls.iter().enumerate() {
        let at = format!("{}/{i}", field("imagePullSecrets"));
        read(
            report,
            strictest(&[refs, pull]),
            within(&at, shape::string(p, "/name").map(drop)),
        );
    }
    if token_rules {
        read(
            report,
            strictest(&[tokens.automount, tokens.require_explicit_false]),
            within(
                ctx.spec.pointer,
                scalar(
                    spec,
                    "/automountServiceAccountToken",
                    Value::is_boolean,
                    "a boolean",
                ),
            ),
        );
    }
}

fn check_mount(report: &mut Report, at: &str, m: &Value, s: &Settings, mount_path: Action) {
    let v = &s.volumes;
    let checks = [
        (
            strictest(&[v.read_only, v.sub_path]),
            shape::string(m, "/name").map(drop),
        ),
        (mount_path, shape::string(m, "/mountPath").map(drop)),
        (
            v.read_only,
            scalar(m, "/readOnly", Value::is_boolean, "a boolean"),
        ),
        (v.sub_path, shape::string(m, "/subPath").map(drop)),
        (v.sub_path, shape::string(m, "/subPathExpr").map(drop)),
    ];
    for (action, result) in checks {
        read(report, action, within(at, result));
    }
}

fn check_volume(report: &mut Report, at: &str, vol: &Value, s: &Settings, refs: Action) {
    let v = &s.volumes;
    let names = strictest(&[s.references.secret_volumes, refs]);
    let any = strictest(&[names, v.mode, v.read_only, v.sub_path]);
    let mode = v.mode;
    let file_mode = |p: &str| scalar(vol, p, is_mode, "a file mode (0 to 0777)");
    let mut checks = vec![
        (any, shape::string(vol, "/name").map(drop)),
        (any, shape::object(vol, "/secret").map(drop)),
        (names, shape::string(vol, "/secret/secretName").map(drop)),
        (mode, file_mode("/secret/defaultMode")),
        (any, shape::object(vol, "/projected").map(drop)),
        (mode, file_mode("/projected/defaultMode")),
    ];
    let items = |checks: &mut Vec<(Action, Result<(), Malformed>)>, pointer: &str| {
        match shape::object_list(vol, pointer) {
            Ok(list) => {
                for k in 0..list.len() {
                    checks.push((mode, file_mode(&format!("{pointer}/{k}/mode"))));
                }
            }
            Err(e) => checks.push((mode, Err(e))),
        }
    };
    items(&mut checks, "/secret/items");
    match shape::object_list(vol, "/projected/sources") {
        Ok(sources) => {
            for j in 0..sources.len() {
                let src = format!("/projected/sources/{j}/secret");
                checks.push((any, shape::object(vol, &src).map(drop)));
                checks.push((names, shape::string(vol, &format!("{src}/name")).map(drop)));
                items(&mut checks, &format!("{src}/items"));
            }
        }
        Err(e) => checks.push((any, Err(e))),
    }
    for (action, result) in checks {
        read(report, action, within(at, result));
    }
}

/// The strictest action of every pod rule: what a PodSpec that cannot be found takes.
pub fn any_pod_rule(s: &Settings) -> Action {
    let v = &s.volumes;
    let t = &s.service_account_token;
    strictest(&[
        s.env_secrets.secret_key_ref,
        s.env_secrets.env_from,
        s.references.action,
        s.references.secret_volumes,
        s.plaintext.action,
        v.mode,
        v.read_only,
        v.sub_path,
        t.automount,
        t.require_explicit_false,
        t.token_path_mount,
        s.image_pull_secrets.action,
    ])
}

/// The fields of a Secret the `secrets` rules read.
pub fn check_secret(object: &Value, s: &crate::settings::Secrets, report: &mut Report) {
    let docker = matches!(
        object.get("type").and_then(Value::as_str),
        Some("kubernetes.io/dockerconfigjson" | "kubernetes.io/dockercfg")
    );
    let docker_config = if docker { s.docker_config } else { Action::Off };
    let metadata = if s.required_labels.is_empty() && s.required_annotations.is_empty() {
        Action::Off
    } else {
        s.metadata
    };
    let checks = [
        (
            strictest(&[s.types, s.docker_config]),
            shape::string(object, "/type").map(drop),
        ),
        (docker_config, string_map(object, "/data")),
        (docker_config, string_map(object, "/stringData")),
        (
            s.immutable,
            scalar(object, "/immutable", Value::is_boolean, "a boolean"),
        ),
        (metadata, string_map(object, "/metadata/labels")),
        (metadata, string_map(object, "/metadata/annotations")),
    ];
    for (action, result) in checks {
        read(report, action, result);
    }
}

/// The fields of a ServiceAccount the `serviceAccounts` rules read.
pub fn check_service_account(
    object: &Value,
    s: &crate::settings::ServiceAccounts,
    report: &mut Report,
) {
    read(
        report,
        s.automount,
        scalar(
            object,
            "/automountServiceAccountToken",
            Value::is_boolean,
            "a boolean",
        ),
    );
    read(report, s.secrets, shape::list(object, "/secrets").map(drop));
}
