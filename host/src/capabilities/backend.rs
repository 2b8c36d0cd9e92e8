//! What answers typed host-capability requests once the dispatcher has let them through.

use super::requests::CallbackRequest;

/// Answers typed host-capability requests. `Err` is the failure message, which the
/// dispatcher wraps as `Callback evaluation failure: <msg>`.
pub trait CapabilityBackend: Send + Sync {
    fn answer(&self, request: &CallbackRequest) -> Result<Vec<u8>, String>;
}

/// Used when neither a world nor a replay session is given: kwctl would reach the real
/// cluster and registries, a test host has nothing to ask.
#[derive(Debug, Default)]
pub struct NoBackend;

impl CapabilityBackend for NoBackend {
    fn answer(&self, _request: &CallbackRequest) -> Result<Vec<u8>, String> {
        Err("no host capability backend configured (use a world file or a replay session)".into())
    }
}
