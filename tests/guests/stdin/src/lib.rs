//! `stdin` test guest: `validate` reads its stdin to the end. The host closes a guest's
//! stdin, so the read returns at once with nothing and the guest accepts; any byte read
//! (an inherited stdin) rejects, and an inherited terminal would block the read forever.

use std::io::Read;

use kubewarden_policy_sdk::{
    accept_request, protocol_version_guest, reject_request, settings::Validatable,
    validate_settings,
};
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
    let mut input = Vec::new();
    match std::io::stdin().read_to_end(&mut input) {
        Ok(0) => accept_request(),
        Ok(n) => reject_request(Some(format!("read {n} bytes from stdin")), None, None, None),
        Err(error) => reject_request(Some(format!("stdin: {error}")), None, None, None),
    }
}
