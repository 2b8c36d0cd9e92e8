//! Small JSON helpers: accessors tolerant of missing fields and wrong types, pointers, and
//! in-place edits of the object we were given. The host reads its world files with them too.
//!
//! Mutations edit the incoming `serde_json::Value` so that fields this crate does not know
//! survive untouched; the host diffs the result into a JSON Patch.

use serde_json::{Map, Value};

/// Escapes one JSON Pointer reference token (RFC 6901).
pub fn escape_token(token: &str) -> String {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1")
    } else {
        token.to_owned()
    }
}

/// Sets the value at `pointer`, creating missing intermediate objects. Returns false when a
/// step of the path exists but is not an object or array (nothing is changed then).
pub fn set(root: &mut Value, pointer: &str, value: Value) -> bool {
    let Some(rest) = pointer.strip_prefix('/') else {
        if pointer.is_empty() {
            *root = value;
            return true;
        }
        return false;
    };
    let tokens: Vec<String> = rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let (last, parents) = tokens
        .split_last()
        .expect("split yields at least one token");
    let mut current = root;
    for token in parents {
        if current.is_null() {
            *current = Value::Object(Map::new());
        }
        current = match current {
            Value::Object(map) => map
                .entry(token.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(items) => match token.parse::<usize>().ok().and_then(|i| items.get_mut(i))
            {
                Some(item) => item,
                None => return false,
            },
            _ => return false,
        };
    }
    if current.is_null() {
        *current = Value::Object(Map::new());
    }
    match current {
        Value::Object(map) => {
            map.insert(last.clone(), value);
            true
        }
        Value::Array(items) => match last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            Some(item) => {
                *item = value;
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// A string field, `None` when absent or not a string.
pub fn str_field<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value.get(field).and_then(Value::as_str)
}

/// The string at JSON Pointer `pointer`, `None` when absent or not a string.
pub fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// An array field's items, empty when absent or not an array.
pub fn array_field<'a>(value: &'a Value, field: &str) -> &'a [Value] {
    value
        .get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_creates_missing_objects_and_keeps_siblings() {
        let mut v = json!({"spec": {"keep": 1}});
        assert!(set(
            &mut v,
            "/spec/template/spec/restartPolicy",
            json!("Never")
        ));
        assert_eq!(
            v,
            json!({"spec": {"keep": 1, "template": {"spec": {"restartPolicy": "Never"}}}})
        );
    }

    #[test]
    fn set_walks_arrays_and_escapes() {
        let mut v = json!({"a": [{"b": 1}], "x": {}});
        assert!(set(&mut v, "/a/0/c", json!(2)));
        assert!(set(&mut v, "/x/k~1v", json!(true)));
        assert_eq!(v, json!({"a": [{"b": 1, "c": 2}], "x": {"k/v": true}}));
        assert!(!set(&mut v, "/a/5/c", json!(3)));
        assert!(!set(&mut v, "/a/0/b/c", json!(3)), "b is a number");
        assert_eq!(escape_token("a/b~c"), "a~1b~0c");
    }

    #[test]
    fn field_accessors_tolerate_wrong_types() {
        let v = json!({"s": "x", "n": 1, "a": [1, 2]});
        assert_eq!(str_field(&v, "s"), Some("x"));
        assert_eq!(str_field(&v, "n"), None);
        let nested = json!({"metadata": {"name": "x", "uid": 7}});
        assert_eq!(str_at(&nested, "/metadata/name"), Some("x"));
        assert_eq!(str_at(&nested, "/metadata/uid"), None);
        assert_eq!(str_at(&nested, "/metadata/missing"), None);
        assert_eq!(array_field(&v, "a").len(), 2);
        assert!(array_field(&v, "s").is_empty());
    }
}
