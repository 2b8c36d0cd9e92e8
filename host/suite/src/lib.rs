//! What kwhost reads and writes, with no WebAssembly runtime linked: fixtures
//! (AdmissionRequest or AdmissionReview, JSON or YAML), settings, the AdmissionResponse
//! model and suite files. Kept apart from `kwhost` so the loaders can be fuzzed natively
//! with small builds (docs/security.md, "Fuzzing").

pub mod admission_request;
pub mod admission_response;
pub mod api_resources;
pub mod document;
pub mod dump;
pub mod review;
pub mod settings;
pub mod suite_file;
