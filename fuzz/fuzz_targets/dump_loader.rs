//! The audit's cluster-dump reader (`kwhost_suite::dump`): any text read as a dump (a List,
//! multi-document YAML, an array), every object scaffolded into the AdmissionReview the audit
//! judges. Never panics; what cannot be read is a problem, not a crash.
#![no_main]

use kwhost_suite::dump::Dump;
use kwhost_suite::review::{Operation, Requester, admission_review};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut dump = Dump::default();
    dump.add_text(text, "fuzz");
    let requester = Requester::default();
    for object in &dump.objects {
        let _ = admission_review(Operation::Create, &object.object, None, &requester);
    }
});
