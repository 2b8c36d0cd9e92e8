//! Cluster dumps for an offline audit: the objects of a `kubectl get -A -o json` List (or
//! `-o yaml`), of multi-document YAML, of a folder of such files, or of stdin. A document that
//! cannot be read stops nothing: it becomes a [`Problem`] that names where it is, and the
//! audit reports it as an `error` result; only an unreadable file or folder is fatal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::document::InputError;

/// One object of the dump and where it came from (`file`, `file#3`, `file#3.items[7]`).
#[derive(Debug, Clone, PartialEq)]
pub struct DumpObject {
    pub origin: String,
    pub object: Value,
}

/// Something in the dump that is not an object the audit can judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub origin: String,
    pub message: String,
}

/// The objects of a dump, in the order read, and what could not be read.
#[derive(Debug, Default, PartialEq)]
pub struct Dump {
    pub objects: Vec<DumpObject>,
    pub problems: Vec<Problem>,
}

/// (apiVersion group, kind, namespace, name): one object in a cluster.
type Key = (String, String, String, String);

fn key_of(object: &Value) -> Option<Key> {
    let text = |p: &str| object.pointer(p).and_then(Value::as_str);
    let group = text("/apiVersion")?
        .rsplit_once('/')
        .map_or("", |(g, _)| g)
        .to_owned();
    Some((
        group,
        text("/kind")?.to_owned(),
        text("/metadata/namespace").unwrap_or("").to_owned(),
        text("/metadata/name")?.to_owned(),
    ))
}

impl Dump {
    /// Reads files and folders (every `*.json`, `*.yaml`, `*.yml` below a folder, in name
    /// order); `-` is stdin.
    pub fn read(paths: &[PathBuf]) -> Result<Self, InputError> {
        let mut dump = Dump::default();
        for path in paths {
            if path == Path::new("-") {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                    .map_err(|e| InputError::new(format!("cannot read stdin: {e}")))?;
                dump.add_text(&text, "stdin");
            } else if path.is_dir() {
                for file in files_below(path)? {
                    dump.add_file(&file)?;
                }
            } else {
                dump.add_file(path)?;
            }
        }
        dump.flag_duplicates();
        Ok(dump)
    }

    fn add_file(&mut self, path: &Path) -> Result<(), InputError> {
        let bytes = std::fs::read(path)
            .map_err(|e| InputError::new(format!("cannot read {}: {e}", path.display())))?;
        let origin = path.display().to_string();
        match String::from_utf8(bytes) {
            Ok(text) => self.add_text(&text, &origin),
            Err(_) => self.problem(origin, "not UTF-8 text".to_owned()),
        }
        Ok(())
    }

    fn problem(&mut self, origin: String, message: String) {
        self.problems.push(Problem { origin, message });
    }

    /// One file's text: JSON (one value), else YAML documents separated by `---`.
    pub fn add_text(&mut self, text: &str, origin: &str) {
        if text.trim_start().starts_with(['{', '[']) {
            match serde_json::from_str::<Value>(text) {
                Ok(value) => self.add_value(value, origin.to_owned()),
                Err(e) => self.problem(origin.to_owned(), format!("not valid JSON: {e}")),
            }
            return;
        }
        for (i, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
            let origin = format!("{origin}#{}", i + 1);
            match Value::deserialize(document) {
                Ok(Value::Null) => {}
                Ok(value) => self.add_value(value, origin),
                Err(e) => {
                    // A YAML syntax error ends the stream: nothing after it can be trusted.
                    self.problem(origin, format!("not valid YAML: {e}"));
                    break;
                }
            }
        }
    }

    /// A List (`kind: List` or any `*List` with `items`) is opened; anything else must be an
    /// object with `apiVersion` and `kind`.
    fn add_value(&mut self, value: Value, origin: String) {
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
        if let Value::Array(items) = &value {
            return self.add_items(items, &origin, "");
        }
        if kind.ends_with("List") {
            match value.get("items") {
                Some(Value::Array(items)) => self.add_items(items, &origin, ".items"),
                Some(Value::Null) | None => {}
                Some(_) => self.problem(origin, "a List whose items is not a list".to_owned()),
            }
            return;
        }
        match (&value, value.get("apiVersion"), value.get("kind")) {
            (Value::Object(_), Some(Value::String(_)), Some(Value::String(_))) => {
                self.objects.push(DumpObject {
                    origin,
                    object: value,
                })
            }
            (Value::Object(_), _, _) => self.problem(
                origin,
                "not a Kubernetes object: apiVersion and kind must be strings".to_owned(),
            ),
            _ => self.problem(origin, "not an object".to_owned()),
        }
    }

    fn add_items(&mut self, items: &[Value], origin: &str, field: &str) {
        for (i, item) in items.iter().enumerate() {
            self.add_value(item.clone(), format!("{origin}{field}[{i}]"));
        }
    }

    /// The same object twice (group, kind, namespace, name) is reported, and only its first
    /// copy judged: a dump is a snapshot, one state per object.
    fn flag_duplicates(&mut self) {
        let mut first: BTreeMap<Key, String> = BTreeMap::new();
        let mut kept = Vec::with_capacity(self.objects.len());
        for object in std::mem::take(&mut self.objects) {
            match key_of(&object.object) {
                Some(key) => match first.get(&key) {
                    Some(earlier) => self.problems.push(Problem {
                        origin: object.origin,
                        message: format!("duplicate of {earlier}: the same {} {}", key.1, key.3),
                    }),
                    None => {
                        first.insert(key, object.origin.clone());
                        kept.push(object);
                    }
                },
                None => kept.push(object),
            }
        }
        self.objects = kept;
    }
}

fn files_below(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| InputError::new(format!("cannot read {}: {e}", dir.display())))?;
        for entry in entries {
            let path = entry
                .map_err(|e| InputError::new(format!("cannot read {}: {e}", dir.display())))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(text: &str) -> Dump {
        let mut dump = Dump::default();
        dump.add_text(text, "dump");
        dump.flag_duplicates();
        dump
    }

    #[test]
    fn lists_documents_and_arrays() {
        let d = dump(
            r#"{"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x"}},
                {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "x"}}]}"#,
        );
        assert_eq!(d.objects.len(), 2);
        assert_eq!(d.objects[1].origin, "dump.items[1]");
        let d = dump(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n---\napiVersion: v1\nkind: PodList\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}}\n",
        );
        let origins: Vec<&str> = d.objects.iter().map(|o| o.origin.as_str()).collect();
        assert_eq!(origins, ["dump#1", "dump#3.items[0]"]);
        assert!(d.problems.is_empty());
    }

    #[test]
    fn malformed_parts_are_problems_not_failures() {
        let d = dump(r#"{"apiVersion": "v1", "kind": "List", "items": ["#);
        assert!(
            d.problems[0].message.starts_with("not valid JSON"),
            "{:?}",
            d.problems
        );
        let d = dump(
            r#"{"kind": "List", "items": [7, {"kind": "Pod"}, {"apiVersion": "v1", "kind": 3},
                 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}]}"#,
        );
        assert_eq!(d.objects.len(), 1);
        let messages: Vec<(&str, &str)> = d
            .problems
            .iter()
            .map(|p| (p.origin.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(messages[0], ("dump.items[0]", "not an object"));
        assert!(messages[1].1.contains("apiVersion and kind"));
        assert_eq!(messages.len(), 3);
        let d = dump(r#"{"kind": "List", "items": {"a": 1}}"#);
        assert!(d.problems[0].message.contains("items is not a list"));
        let d = dump("a: [\n---\napiVersion: v1\n");
        assert!(d.problems[0].message.starts_with("not valid YAML"));
    }

    #[test]
    fn duplicates_are_reported_once_judged_once() {
        let pod =
            r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x"}}"#;
        let other_ns =
            r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "y"}}"#;
        let d = dump(&format!(
            r#"{{"kind": "List", "items": [{pod}, {other_ns}, {pod}]}}"#
        ));
        assert_eq!(d.objects.len(), 2);
        assert_eq!(d.problems.len(), 1);
        assert!(
            d.problems[0]
                .message
                .starts_with("duplicate of dump.items[0]")
        );
    }
}
