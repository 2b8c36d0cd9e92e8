//! `field_masks` pruning (Kubewarden's `policy-evaluator`, `crates/policy-evaluator/src/callback_handler/kubernetes/field_mask.rs`): keep only the
//! listed dot paths; a path crossing an array applies to every element.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

#[derive(Debug, Default)]
struct MaskTree {
    /// `true` when a mask ends here: keep the whole subtree.
    keep_all: bool,
    children: BTreeMap<String, MaskTree>,
}

impl MaskTree {
    fn build<S: AsRef<str>>(masks: &[S]) -> Self {
        let mut root = Self::default();
        for mask in masks {
            let mut node = &mut root;
            for segment in mask.as_ref().split('.').filter(|s| !s.is_empty()) {
                node = node.children.entry(segment.to_owned()).or_default();
            }
            node.keep_all = true;
        }
        root
    }

    fn prune(&self, value: &Value) -> Option<Value> {
        if self.keep_all {
            return Some(value.clone());
        }
        match value {
            Value::Object(map) => {
                let kept: Map<String, Value> = self
                    .children
                    .iter()
                    .filter_map(|(key, child)| Some((key.clone(), child.prune(map.get(key)?)?)))
                    .collect();
                Some(Value::Object(kept))
            }
            Value::Array(items) => Some(Value::Array(
                items.iter().filter_map(|item| self.prune(item)).collect(),
            )),
            // A scalar where the mask expects more structure: nothing to keep.
            _ => None,
        }
    }
}

/// Returns `object` reduced to `masks`; `None` or an empty list keeps everything.
pub fn apply_field_masks<S: AsRef<str>>(object: &Value, masks: Option<&[S]>) -> Value {
    match masks {
        Some(masks) if !masks.is_empty() => MaskTree::build(masks)
            .prune(object)
            .unwrap_or_else(|| Value::Object(Map::new())),
        _ => object.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prunes_through_arrays() {
        let pod = json!({
            "metadata": {"name": "p", "labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}, {"name": "d", "image": "busybox"}]}
        });
        let masks = ["metadata.name", "spec.containers.image"];
        assert_eq!(
            apply_field_masks(&pod, Some(&masks[..])),
            json!({"metadata": {"name": "p"}, "spec": {"containers": [{"image": "nginx"}, {"image": "busybox"}]}})
        );
        assert_eq!(apply_field_masks::<&str>(&pod, None), pod);
    }
}
