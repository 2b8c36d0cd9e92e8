//! Fail closed: every field a rule of this policy reads, checked for the type Kubernetes sends
//! there. A field present with another type is a `malformed` finding (never skipped as if
//! absent) whose action is the strictest among the rules that read it; a field that no rule
//! that is on reads is not checked.
//!
//! The fields are data (`CONTAINER`, `POD`, `SECRET`, `SERVICE_ACCOUNT`: a pointer where `*`
//! is every item of a list, the type expected, the rules that read it) walked by one function,
//! which keeps the module small.

use crate::pod_ctx::PodCtx;
use crate::settings::Settings;
use policy_common::json::escape_token;
use policy_common::shape::{self, Malformed};
use policy_common::{Action, Operation, Report};
use serde_json::Value;

/// What Kubernetes sends at a field.
#[derive(Clone, Copy)]
enum Expect {
    List,
    Objects,
    Strings,
    Object,
    Str,
    Bool,
    Mode,
    /// An object whose values are strings (data, labels).
    StrMap,
}

// The rules that read a field, one bit each; `Rules::action` turns a mask into an action.
const SECRET_KEY_REF: u32 = 1;
const ENV_FROM: u32 = 1 << 1;
const REFS: u32 = 1 << 2;
const SECRET_VOLUMES: u32 = 1 << 3;
const PLAIN: u32 = 1 << 4;
const MODE: u32 = 1 << 5;
const READ_ONLY: u32 = 1 << 6;
const SUB_PATH: u32 = 1 << 7;
const AUTOMOUNT: u32 = 1 << 8;
const TOKEN_PATH: u32 = 1 << 9;
const PULL: u32 = 1 << 10;
const TYPES: u32 = 1 << 11;
const DOCKER: u32 = 1 << 12;
const IMMUTABLE: u32 = 1 << 13;
const METADATA: u32 = 1 << 14;
const SA_AUTOMOUNT: u32 = 1 << 15;
const SA_SECRETS: u32 = 1 << 16;

const ENV: u32 = SECRET_KEY_REF | REFS | PLAIN;
const NAMES: u32 = SECRET_VOLUMES | REFS;
const VOLUME: u32 = NAMES | MODE | READ_ONLY | SUB_PATH;

type Field = (&'static str, Expect, u32);

/// Inside each container.
const CONTAINER: [Field; 16] = [
    ("/env", Expect::Objects, ENV),
    ("/env/*/name", Expect::Str, ENV),
    ("/env/*/value", Expect::Str, PLAIN),
    ("/env/*/valueFrom", Expect::Object, ENV),
    (
        "/env/*/valueFrom/secretKeyRef/name",
        Expect::Str,
        SECRET_KEY_REF | REFS,
    ),
    ("/envFrom", Expect::Objects, ENV_FROM | REFS),
    ("/envFrom/*/secretRef/name", Expect::Str, ENV_FROM | REFS),
    ("/command", Expect::Strings, PLAIN),
    ("/args", Expect::Strings, PLAIN),
    (
        "/volumeMounts",
        Expect::Objects,
        READ_ONLY | SUB_PATH | TOKEN_PATH,
    ),
    ("/volumeMounts/*/name", Expect::Str, READ_ONLY | SUB_PATH),
    ("/volumeMounts/*/mountPath", Expect::Str, TOKEN_PATH),
    ("/volumeMounts/*/readOnly", Expect::Bool, READ_ONLY),
    ("/volumeMounts/*/subPath", Expect::Str, SUB_PATH),
    ("/volumeMounts/*/subPathExpr", Expect::Str, SUB_PATH),
    ("/image", Expect::Str, PULL),
];

/// Inside the PodSpec (pod-level fields, not judged on `pods/ephemeralcontainers`).
const POD: [Field; 17] = [
    ("/volumes", Expect::Objects, VOLUME),
    ("/volumes/*/name", Expect::Str, VOLUME),
    ("/volumes/*/secret", Expect::Object, VOLUME),
    ("/volumes/*/secret/secretName", Expect::Str, NAMES),
    ("/volumes/*/secret/defaultMode", Expect::Mode, MODE),
    ("/volumes/*/secret/items", Expect::Objects, MODE),
    ("/volumes/*/secret/items/*/mode", Expect::Mode, MODE),
    ("/volumes/*/projected", Expect::Object, VOLUME),
    ("/volumes/*/projected/defaultMode", Expect::Mode, MODE),
    ("/volumes/*/projected/sources", Expect::Objects, VOLUME),
    (
        "/volumes/*/projected/sources/*/secret",
        Expect::Object,
        VOLUME,
    ),
    (
        "/volumes/*/projected/sources/*/secret/name",
        Expect::Str,
        NAMES,
    ),
    (
        "/volumes/*/projected/sources/*/secret/items",
        Expect::Objects,
        MODE,
    ),
    (
        "/volumes/*/projected/sources/*/secret/items/*/mode",
        Expect::Mode,
        MODE,
    ),
    ("/imagePullSecrets", Expect::Objects, REFS | PULL),
    ("/imagePullSecrets/*/name", Expect::Str, REFS | PULL),
    ("/automountServiceAccountToken", Expect::Bool, AUTOMOUNT),
];

const SECRET: [Field; 6] = [
    ("/type", Expect::Str, TYPES | DOCKER),
    ("/data", Expect::StrMap, DOCKER),
    ("/stringData", Expect::StrMap, DOCKER),
    ("/immutable", Expect::Bool, IMMUTABLE),
    ("/metadata/labels", Expect::StrMap, METADATA),
    ("/metadata/annotations", Expect::StrMap, METADATA),
];

const SERVICE_ACCOUNT: [Field; 2] = [
    ("/automountServiceAccountToken", Expect::Bool, SA_AUTOMOUNT),
    ("/secrets", Expect::List, SA_SECRETS),
];

/// The action of each rule bit for one request (off where the rule does not read at all).
struct Rules([Action; 17]);

impl Rules {
    fn new(s: &Settings, operation: Operation, docker: bool) -> Self {
        let gate = |on: bool, a: Action| if on { a } else { Action::Off };
        let t = &s.service_account_token;
        let token_rules = !(t.skip_update && operation == Operation::Update);
        let sec = &s.secrets;
        Rules([
            s.env_secrets.secret_key_ref,
            s.env_secrets.env_from,
            gate(
                !s.references.allowed_secrets.is_empty(),
                s.references.action,
            ),
            s.references.secret_volumes,
            s.plaintext.action,
            s.volumes.mode,
            s.volumes.read_only,
            s.volumes.sub_path,
            gate(token_rules, t.automount.strictest(t.require_explicit_false)),
            gate(token_rules, t.token_path_mount),
            s.image_pull_secrets.action,
            sec.types,
            gate(docker, sec.docker_config),
            sec.immutable,
            gate(
                !(sec.required_labels.is_empty() && sec.required_annotations.is_empty()),
                sec.metadata,
            ),
            s.service_accounts.automount,
            s.service_accounts.secrets,
        ])
    }

    /// The strictest action among the rules of `mask`.
    fn action(&self, mask: u32) -> Action {
        self.0
            .iter()
            .enumerate()
            .filter(|(bit, _)| mask & (1 << bit) != 0)
            .fold(Action::Off, |a, (_, b)| a.strictest(*b))
    }

    /// Checks every field of `fields` inside `value` (whose own pointer is `at`).
    fn check(&self, value: &Value, at: &str, fields: &[Field], report: &mut Report) {
        for &(pointer, expect, mask) in fields {
            let action = self.action(mask);
            if action.is_on() {
                walk(value, At::Root(at), pointer, expect, &mut |m| {
                    report.malformed(&m, action)
                });
            }
        }
    }
}

/// Where a walked value stands: the pointer of the value checked, then the list items walked
/// into. Rendered only when something there is malformed, so that a well-formed request costs
/// no string per item.
#[derive(Clone, Copy)]
enum At<'a> {
    Root(&'a str),
    Item(&'a At<'a>, &'a str, usize),
}

impl At<'_> {
    fn render(&self) -> String {
        match self {
            At::Root(at) => (*at).to_owned(),
            At::Item(parent, head, i) => format!("{}{head}/{i}", parent.render()),
        }
    }
}

/// Checks `pointer` inside `value`, whose own pointer is `at`; a `*` step is every item.
fn walk(
    value: &Value,
    at: At<'_>,
    pointer: &str,
    expect: Expect,
    found: &mut dyn FnMut(Malformed),
) {
    let rebase = |m: Malformed| {
        let at = at.render();
        let path = if m.path == "object" {
            at
        } else {
            format!("{at}{}", m.path)
        };
        Malformed::new(path, m.expected)
    };
    if let Some((head, tail)) = pointer.split_once("/*") {
        match shape::list(value, head) {
            Ok(items) => {
                for (i, item) in items.unwrap_or(&[]).iter().enumerate() {
                    walk(item, At::Item(&at, head, i), tail, expect, found);
                }
            }
            Err(m) => found(rebase(m)),
        }
        return;
    }
    if let Err(m) = typed(value, pointer, expect) {
        found(rebase(m));
    }
}

fn typed(value: &Value, pointer: &str, expect: Expect) -> Result<(), Malformed> {
    let Some(v) = shape::at(value, pointer)? else {
        return Ok(());
    };
    let (ok, expected) = match expect {
        Expect::List => (v.is_array(), "a list"),
        Expect::Objects => return shape::object_list(value, pointer).map(drop),
        Expect::Strings => return shape::string_list(value, pointer).map(drop),
        Expect::Object => (v.is_object(), "an object"),
        Expect::Str => (v.is_string(), "a string"),
        Expect::Bool => (v.is_boolean(), "a boolean"),
        Expect::Mode => (
            v.as_u64().is_some_and(|m| m <= 0o777),
            "a file mode (0 to 0777)",
        ),
        Expect::StrMap => {
            let map = v
                .as_object()
                .ok_or_else(|| Malformed::new(pointer, "an object"))?;
            return match map.iter().find(|(_, v)| !v.is_string()) {
                Some((key, _)) => Err(Malformed::new(
                    format!("{pointer}/{}", escape_token(key)),
                    "a string",
                )),
                None => Ok(()),
            };
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Malformed::new(pointer, expected))
    }
}

/// The PodSpec fields the pod rules read.
pub fn check_pod(ctx: &PodCtx<'_>, s: &Settings, report: &mut Report) {
    let rules = Rules::new(s, ctx.operation, false);
    for c in ctx.containers() {
        rules.check(c.value, &c.pointer(), &CONTAINER, report);
    }
    if ctx.pod_level() {
        rules.check(ctx.spec.spec, ctx.spec.pointer, &POD, report);
    }
}

/// The fields of a Secret the `secrets` rules read.
pub fn check_secret(object: &Value, s: &Settings, report: &mut Report) {
    let docker = matches!(
        object.get("type").and_then(Value::as_str),
        Some("kubernetes.io/dockerconfigjson" | "kubernetes.io/dockercfg")
    );
    Rules::new(s, Operation::Create, docker).check(object, "", &SECRET, report);
}

/// The fields of a ServiceAccount the `serviceAccounts` rules read.
pub fn check_service_account(object: &Value, s: &Settings, report: &mut Report) {
    Rules::new(s, Operation::Create, false).check(object, "", &SERVICE_ACCOUNT, report);
}

/// The strictest action of every pod rule: what a PodSpec that cannot be found takes.
pub fn any_pod_rule(s: &Settings) -> Action {
    Rules::new(s, Operation::Create, false)
        .action(ENV | ENV_FROM | VOLUME | AUTOMOUNT | TOKEN_PATH | PULL | SECRET_VOLUMES)
}
