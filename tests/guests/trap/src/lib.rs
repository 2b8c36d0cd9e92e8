//! `trap` test guest: `validate` executes the wasm `unreachable` instruction.
//! Settings `{"trapInSettings": true}` make `validate_settings` trap too.

use kubewarden_policy_sdk::{protocol_version_guest, settings::Validatable, validate_settings};
use serde::Deserialize;
use wapc_guest::{CallResult, register_function};

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Settings {
    trap_in_settings: bool,
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        if self.trap_in_settings {
            trap()
        }
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
    trap()
}

/// The `unreachable` instruction on wasm; natively (clippy, workspace tests) an abort.
fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort()
}
