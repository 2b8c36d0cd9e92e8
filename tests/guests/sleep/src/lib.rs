//! `sleep` test guest: `validate` sleeps in WASI (`poll_oneoff`, which `std::thread::sleep`
//! uses) for 60 s, or `{"ms": N}` milliseconds, then accepts. Epoch interruption does not stop
//! a host function: the host's `poll_oneoff` must end the sleep at the call's deadline.

use kubewarden_policy_sdk::{
    accept_request, protocol_version_guest, settings::Validatable, validate_settings,
};
use serde::Deserialize;
use wapc_guest::{CallResult, register_function};

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Settings {
    ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { ms: 60_000 }
    }
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    settings: Settings,
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings::<Settings>);
    register_function("protocol_version", protocol_version_guest);
}

fn validate(payload: &[u8]) -> CallResult {
    let ms = serde_json::from_slice::<Payload>(payload)?.settings.ms;
    std::thread::sleep(std::time::Duration::from_millis(ms));
    accept_request()
}
