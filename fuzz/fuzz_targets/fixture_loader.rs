//! kwhost's fixture and settings loaders (`kwhost_suite`): any text, read as JSON or YAML,
//! then normalised as an AdmissionRequest (or AdmissionReview) and as settings. Never
//! panics; a request that normalises is an object with a string `uid`, and its errors and
//! values are what `kwhost run` would pass to a guest.
#![no_main]

use kwhost_suite::{admission_request, document, settings};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|text: &str| {
    let Ok(value) = document::parse_json_or_yaml(text, "fuzz") else {
        return;
    };
    let _ = settings::from_value(value.clone(), "fuzz");
    if let Ok(request) = admission_request::normalise(value, "fuzz") {
        assert!(request.value.is_object());
        assert_eq!(
            request.value.get("uid").and_then(Value::as_str),
            Some(request.uid.as_str())
        );
    }
});
