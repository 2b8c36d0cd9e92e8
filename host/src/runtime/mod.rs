//! Runtime layer: wasmtime engine, compiled-module cache, waPC linker and guest instances.
//!
//! Nothing here knows about Kubernetes: host capabilities are reached through the
//! [`HostCallback`] trait, implemented by the capabilities layer.

mod cache;
mod engine;
mod instance;
pub mod limits;
mod output;
mod wapc;
mod wasi_deadline;

pub use cache::{ModuleCache, default_cache_dir};
pub use engine::{Allocation, EPOCH_TICK, new_engine, new_engine_with};
pub use instance::{
    DEADLINE_EXCEEDED, GuestCallError, GuestInstance, GuestStdio, LoadError, NotWapc, PolicyModule,
    Runtime, RuntimeError,
};
pub use limits::{ExecutionLimits, LimitError, LimitHit};
pub use output::{CapturedOutput, truncation_note};
pub use wapc::{HostCallResult, HostCallback, WapcState};
