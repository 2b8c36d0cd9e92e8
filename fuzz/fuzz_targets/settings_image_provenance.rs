//! `validate_settings` of image-provenance: any settings document is judged (valid or a message naming
//! the setting), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_common::settings::check;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = check::<image_provenance::settings::Settings>(data) {
        assert!(!e.0.is_empty(), "a refusal without a message");
    }
});
