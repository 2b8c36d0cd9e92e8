//! End-to-end tests of `validate` on whole requests.

mod hostile;
mod objects;
mod support;
mod workloads;
