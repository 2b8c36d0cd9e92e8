//! `loop` test guest: `validate` spins forever, so only the host's epoch deadline
//! stops it. Settings `{"iterations": N}` make it stop after N rounds and accept.

use std::hint::black_box;

use kubewarden_policy_sdk::{
    accept_request, protocol_version_guest, settings::Validatable, validate_settings,
};
use serde::Deserialize;
use wapc_guest::{CallResult, register_function};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Settings {
    iterations: Option<u64>,
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

#[derive(Deserialize)]
struct Payload {
    settings: Settings,
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings::<Settings>);
    register_function("protocol_version", protocol_version_guest);
}

fn validate(payload: &[u8]) -> CallResult {
    let limit = serde_json::from_slice::<Payload>(payload)?
        .settings
        .iterations;
    let mut counter: u64 = 0;
    loop {
        counter = black_box(counter.wrapping_add(1));
        if let Some(limit) = limit
            && counter >= limit
        {
            return accept_request();
        }
    }
}
