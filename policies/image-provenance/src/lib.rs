//! `image-provenance`: trusted registries, immutable references, digest pinning and signatures
//! for the images of every workload kind.

pub mod check;
pub mod host;
pub mod provenance;
pub mod rules;
pub mod semver;
pub mod settings;

use policy_common::Request;
use settings::Settings;
use wapc_guest::prelude::*;

// Exported unmangled only in the wasm module, so the four policies link into one native
// benchmark binary.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function(
        "validate_settings",
        policy_common::settings::validate_settings::<Settings>,
    );
    register_function(
        "protocol_version",
        kubewarden_policy_sdk::protocol_version_guest,
    );
}

pub fn validate(payload: &[u8]) -> CallResult {
    let request = match policy_common::request::decode::<Settings>(payload) {
        Ok(r) => r,
        Err(e) => return policy_common::report::reject(e),
    };
    check::evaluate(
        &request.settings,
        &Request::new(&request.request),
        &host::WapcHost,
    )
    .respond()
}
