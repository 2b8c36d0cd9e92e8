//! What answers typed host-capability requests once the dispatcher has let them through.

use super::requests::CallbackRequest;

/// A backend's answer, or a step towards it. `Err` is deliberately a plain string, not a
/// typed error: it is exactly the text the guest receives after the dispatcher's
/// `Callback evaluation failure: ` (docs/protocol.md §1.5), often a world file's own
/// `error` text, and suites match it.
pub type BackendResult<T = Vec<u8>> = Result<T, String>;

/// Answers typed host-capability requests.
pub trait CapabilityBackend: Send + Sync {
    fn answer(&self, request: &CallbackRequest) -> BackendResult;
}

/// Used when neither a world nor a replay session is given: kwctl would reach the real
/// cluster and registries, a test host has nothing to ask.
#[derive(Debug, Default)]
pub struct NoBackend;

impl CapabilityBackend for NoBackend {
    fn answer(&self, _request: &CallbackRequest) -> BackendResult {
        Err("no host capability backend configured (use a world file or a replay session)".into())
    }
}
