//! `panic` test guest: `validate` panics with the message `boom`.

use kubewarden_policy_sdk::{protocol_version_guest, settings::Validatable, validate_settings};
use serde::Deserialize;
use wapc_guest::{CallResult, register_function};

#[derive(Debug, Default, Deserialize)]
struct Settings {}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings::<Settings>);
    register_function("protocol_version", protocol_version_guest);
}

fn validate(_payload: &[u8]) -> CallResult {
    panic!("boom")
}
