//! Fail closed on what a rule cannot read.
//!
//! A field a rule judges is read with the accessors here, which tell *absent* (`Ok(None)`:
//! missing or `null`, as the API server treats both) from *present with a type Kubernetes never
//! sends there* (`Err(Malformed)`). A malformed field is a finding under the rule id
//! [`MALFORMED`] that names the field's path and the expected type; it is never skipped as if
//! absent. [`crate::request::Request::problem`] covers what every policy rejects whatever its
//! settings: an operation, object or kind the API server never sends.

use serde_json::{Map, Value};

/// The rule id of every malformed-field finding.
pub const MALFORMED: &str = "malformed";

/// A field present with the wrong JSON type. Holds the path and the expected type, never the
/// value (which may be a secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// JSON Pointer of the field, e.g. `/spec/template/spec/containers`.
    pub path: String,
    /// What Kubernetes sends there, e.g. `a list`.
    pub expected: &'static str,
}

impl Malformed {
    pub fn new(path: impl Into<String>, expected: &'static str) -> Self {
        Malformed {
            path: path.into(),
            expected,
        }
    }

    /// The finding's message: `malformed request: /spec/containers must be a list`.
    pub fn message(&self) -> String {
        format!("malformed request: {} must be {}", self.path, self.expected)
    }
}

/// The value at `pointer`: `Ok(None)` when it, or any step on the way, is absent or `null`;
/// `Err` naming the first step that exists but is not an object (or list, for a numeric step).
pub fn at<'a>(root: &'a Value, pointer: &str) -> Result<Option<&'a Value>, Malformed> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Ok((!root.is_null()).then_some(root));
    };
    let mut current = root;
    let mut end = 0;
    for token in rest.split('/') {
        let walked = &pointer[..end];
        end += 1 + token.len();
        current = match current {
            Value::Null => return Ok(None),
            Value::Object(map) => match map.get(unescape(token).as_ref()) {
                Some(next) => next,
                None => return Ok(None),
            },
            // A list where an object belongs (a name, not an index, is next) is malformed.
            Value::Array(items) => match token.parse::<usize>() {
                Ok(i) => match items.get(i) {
                    Some(next) => next,
                    None => return Ok(None),
                },
                Err(_) => return Err(Malformed::new(display_path(walked), "an object")),
            },
            _ => return Err(Malformed::new(display_path(walked), "an object")),
        };
    }
    Ok((!current.is_null()).then_some(current))
}

/// An RFC 6901 reference token unescaped; borrowed when there is nothing to unescape (almost
/// always), so that a read allocates nothing.
fn unescape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

fn display_path(pointer: &str) -> &str {
    if pointer.is_empty() {
        "object"
    } else {
        pointer
    }
}

/// A list at `pointer`, `Ok(None)` when absent or `null`.
pub fn list<'a>(root: &'a Value, pointer: &str) -> Result<Option<&'a [Value]>, Malformed> {
    match at(root, pointer)? {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(_) => Err(Malformed::new(pointer, "a list")),
    }
}

/// A list at `pointer` whose items are all objects (containers, env entries, volumes, rules).
pub fn object_list<'a>(root: &'a Value, pointer: &str) -> Result<&'a [Value], Malformed> {
    let items = list(root, pointer)?.unwrap_or(&[]);
    match items.iter().position(|item| !item.is_object()) {
        Some(i) => Err(Malformed::new(format!("{pointer}/{i}"), "an object")),
        None => Ok(items),
    }
}

/// A list of strings at `pointer` (verbs, resources, args), empty when absent.
pub fn string_list<'a>(root: &'a Value, pointer: &str) -> Result<&'a [Value], Malformed> {
    let items = list(root, pointer)?.unwrap_or(&[]);
    match items.iter().position(|item| !item.is_string()) {
        Some(i) => Err(Malformed::new(format!("{pointer}/{i}"), "a string")),
        None => Ok(items),
    }
}

/// An object at `pointer`, `Ok(None)` when absent or `null`.
pub fn object<'a>(
    root: &'a Value,
    pointer: &str,
) -> Result<Option<&'a Map<String, Value>>, Malformed> {
    match at(root, pointer)? {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(Malformed::new(pointer, "an object")),
    }
}

/// A string at `pointer`, `Ok(None)` when absent or `null`.
pub fn string<'a>(root: &'a Value, pointer: &str) -> Result<Option<&'a str>, Malformed> {
    match at(root, pointer)? {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Malformed::new(pointer, "a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_null_and_wrong_types_are_told_apart() {
        let v = json!({"spec": {"containers": "x", "env": null, "list": [1, {"a": 1}],
            "template": "nope", "ok": [{"name": "a"}], "verbs": ["get", 3]}});
        assert_eq!(list(&v, "/spec/missing"), Ok(None));
        assert_eq!(list(&v, "/spec/env"), Ok(None));
        assert_eq!(
            list(&v, "/spec/containers"),
            Err(Malformed::new("/spec/containers", "a list"))
        );
        assert_eq!(
            object_list(&v, "/spec/list"),
            Err(Malformed::new("/spec/list/0", "an object"))
        );
        assert_eq!(
            at(&v, "/spec/template/spec/containers"),
            Err(Malformed::new("/spec/template", "an object"))
        );
        assert_eq!(object_list(&v, "/spec/ok").unwrap().len(), 1);
        assert_eq!(
            at(&v, "/spec/ok/name"),
            Err(Malformed::new("/spec/ok", "an object"))
        );
        assert_eq!(
            string_list(&v, "/spec/verbs"),
            Err(Malformed::new("/spec/verbs/1", "a string"))
        );
        assert_eq!(string(&v, "/spec/ok/0/name"), Ok(Some("a")));
        assert_eq!(
            string(&v, "/spec/ok/0"),
            Err(Malformed::new("/spec/ok/0", "a string"))
        );
        assert_eq!(
            object(&json!("x"), "/a"),
            Err(Malformed::new("object", "an object"))
        );
        assert_eq!(
            Malformed::new("/spec/containers", "a list").message(),
            "malformed request: /spec/containers must be a list"
        );
    }
}
