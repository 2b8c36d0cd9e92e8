//! kwhost's suite-file loader (`kwhost_suite::suite_file`): any text parsed as a suite, and
//! every inline case request normalised. Never panics. Requests given as paths are not
//! followed (the fuzzer would only be reading the machine's files).
#![no_main]

use std::path::Path;

use kwhost_suite::suite_file::SuiteFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(suite) = SuiteFile::parse(text, "fuzz") else {
        return;
    };
    for case in &suite.cases {
        if !case.request.is_string() {
            let _ = case.load_request(Path::new("/nonexistent"), "fuzz");
        }
    }
});
