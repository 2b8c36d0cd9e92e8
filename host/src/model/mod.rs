//! Model layer: the JSON documents exchanged with kwctl users and guests, and test suites.
//! What needs no WebAssembly runtime (fixtures, settings, responses, suite files) lives in
//! the `kwhost-suite` crate and is re-exported here.

pub use kwhost_suite::{admission_request, admission_response, document, settings};

mod expectations;
pub mod junit;
pub mod runner;
pub mod suite;
