//! kwhost: a wasmtime test host for Kubewarden waPC policies.
//!
//! Layers, bottom-up:
//! - [`runtime`]: engine, compiled-module cache, WASI + waPC linker, guest instances;
//! - [`capabilities`]: `__host_call` dispatch and its replay / world backends;
//! - [`model`]: requests, settings, responses, suites and the suite runner;
//! - [`evaluation`]: one kwctl-style evaluation tying them together;
//! - [`audit`]: a policy set judging a cluster dump offline, and its reports;
//! - [`cli`] / `commands`: the `kwhost` command line.

pub mod audit;
pub mod capabilities;
pub mod cli;
pub mod commands;
pub mod evaluation;
pub mod model;
pub mod runtime;
