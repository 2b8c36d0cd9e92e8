//! Kubernetes field selectors as a world answers list calls: comma-separated
//! `dot.path=value` / `dot.path!=value` requirements on the object, all of which must hold.

use serde_json::Value;

use super::backend::BackendResult;

/// Whether `object` satisfies `selector`. A missing field reads as the empty string, a
/// non-string one as its JSON text.
pub fn field_selector_matches(selector: &str, object: &Value) -> BackendResult<bool> {
    for part in selector.split(',').filter(|p| !p.trim().is_empty()) {
        let (path, expected, negate) = if let Some((p, v)) = part.split_once("!=") {
            (p, v, true)
        } else if let Some((p, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            (p, v, false)
        } else {
            return Err(format!("invalid field selector requirement '{part}'"));
        };
        let pointer = format!("/{}", path.trim().replace('.', "/"));
        let actual = object.pointer(&pointer).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let equal = actual.as_deref().unwrap_or("") == expected.trim();
        if equal == negate {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selector() {
        let obj = serde_json::json!({"metadata": {"name": "x", "namespace": "ns"}});
        assert!(field_selector_matches("metadata.name=x", &obj).unwrap());
        assert!(!field_selector_matches("metadata.name!=x", &obj).unwrap());
        assert!(field_selector_matches("metadata.namespace=ns,metadata.name=x", &obj).unwrap());
        assert_eq!(
            field_selector_matches("metadata.name", &obj).unwrap_err(),
            "invalid field selector requirement 'metadata.name'"
        );
    }
}
