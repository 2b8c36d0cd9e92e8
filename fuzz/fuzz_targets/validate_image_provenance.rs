//! `validate` of image-provenance on a whole waPC payload `{"request": ..., "settings": ...}`, natively,
//! every host capability failing: never a panic, always a response, a rejection with a message,
//! no planted credential quoted (see `admission_policies_fuzz::check_validate`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    admission_policies_fuzz::check_validate(data, image_provenance::validate(data));
});
