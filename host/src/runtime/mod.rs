//! Runtime layer: wasmtime engine, compiled-module cache, waPC linker and guest instances.
//!
//! Nothing here knows about Kubernetes: host capabilities are reached through the
//! [`HostCallback`] trait, implemented by the capabilities layer.

mod cache;
mod engine;
mod instance;
mod wapc;

pub use cache::{ModuleCache, default_cache_dir};
pub use engine::{EPOCH_TICK, new_engine};
pub use instance::{
    CapturedOutput, DEADLINE_EXCEEDED, ExecutionLimits, GuestCallError, GuestInstance, GuestStdio,
    LoadError, NotWapc, PolicyModule, Runtime, RuntimeError,
};
pub use wapc::{HostCallResult, HostCallback, WapcState};
