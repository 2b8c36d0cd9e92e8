//! End-to-end tests of `validate` on whole requests.

mod objects;
mod support;
mod workloads;
mod hostile;
