//! Fills in missing secret-volume `defaultMode` and `automountServiceAccountToken:
//! false`, at their exact pointers, on a copy of the object.

use crate::volumes::projected_secret;
use policy_common::PodSpec;
use policy_common::json::set;
use serde_json::{Value, json};

/// Pointers to set on a PodSpec, with their values.
fn pod_edits(spec: &PodSpec<'_>, max_mode: u32) -> Vec<(String, Value)> {
    let mut edits = Vec::new();
    for (i, vol) in spec.volumes() {
        let field = if vol.get("secret").is_some_and(Value::is_object) {
            "secret"
        } else if projected_secret(vol) {
            "projected"
        } else {
            continue;
        };
        if vol
            .get(field)
            .and_then(|f| f.get("defaultMode"))
            .is_none_or(Value::is_null)
        {
            edits.push((
                format!("{}/{i}/{field}/defaultMode", spec.field_pointer("volumes")),
                json!(max_mode),
            ));
        }
    }
    if spec
        .get("automountServiceAccountToken")
        .is_none_or(Value::is_null)
    {
        edits.push((
            spec.field_pointer("automountServiceAccountToken"),
            json!(false),
        ));
    }
    edits
}

/// The mutated workload object, or `None` when nothing is missing.
pub fn workload(object: &Value, spec: &PodSpec<'_>, max_mode: u32) -> Option<Value> {
    apply(object, pod_edits(spec, max_mode))
}

/// The mutated ServiceAccount, or `None` when the field is already set.
pub fn service_account(object: &Value) -> Option<Value> {
    let unset = object
        .get("automountServiceAccountToken")
        .is_none_or(Value::is_null);
    apply(
        object,
        if unset {
            vec![("/automountServiceAccountToken".to_string(), json!(false))]
        } else {
            Vec::new()
        },
    )
}

fn apply(object: &Value, edits: Vec<(String, Value)>) -> Option<Value> {
    if edits.is_empty() {
        return None;
    }
    let mut out = object.clone();
    for (pointer, value) in edits {
        set(&mut out, &pointer, value);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_common::WorkloadKind;

    #[test]
    fn sets_only_missing_fields() {
        let obj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "containers": [{"name": "a"}],
            "volumes": [
                {"name": "s", "secret": {"secretName": "x"}},
                {"name": "t", "secret": {"secretName": "y", "defaultMode": 256}},
                {"name": "p", "projected": {"sources": [{"secret": {"name": "z"}}]}},
                {"name": "c", "configMap": {"name": "c"}}
            ]
        }}}}}});
        let spec = PodSpec::find(WorkloadKind::CronJob, &obj).unwrap();
        let edits = pod_edits(&spec, 0o440);
        let pointers: Vec<_> = edits.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/spec/jobTemplate/spec/template/spec/volumes/0/secret/defaultMode",
                "/spec/jobTemplate/spec/template/spec/volumes/2/projected/defaultMode",
                "/spec/jobTemplate/spec/template/spec/automountServiceAccountToken",
            ]
        );
        assert_eq!(edits[0].1, json!(288));
        let sa = json!({"automountServiceAccountToken": true});
        assert!(service_account(&sa).is_none());
        assert_eq!(
            service_account(&json!({"metadata": {}})).unwrap(),
            json!({"metadata": {}, "automountServiceAccountToken": false})
        );
    }
}
