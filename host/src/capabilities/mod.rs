//! Capabilities layer: the `__host_call` dispatcher (docs/protocol.md §1.5) and its backends.
//!
//! The [`Dispatcher`] enforces the policy-server's rules (binding, allow-lists, error
//! wrapping); a [`CapabilityBackend`] only answers typed requests, either from a kwctl
//! session ([`ReplayBackend`]) or from a declarative [`World`].

mod allow_list;
mod backend;
mod dispatcher;
mod field_mask;
mod field_selector;
mod replay;
pub mod requests;
mod world;

pub use allow_list::AllowList;
pub use backend::{BackendResult, CapabilityBackend, NoBackend};
pub use dispatcher::{CapturedLog, Dispatcher};
pub use field_mask::apply_field_masks;
pub use kwhost_artifact::ContextAwareResource;
pub use kwhost_artifact::host_capabilities::CAPABILITY_PATHS;
pub use replay::{RecordingBackend, ReplayBackend, ReplayError};
pub use requests::CallbackRequest;
pub use world::{World, WorldError};
