//! `hog` test guest: `validate` allocates 512 MiB (or `{"mib": N}`) in 1 MiB
//! chunks, writing to every page, then accepts. A 64 MiB memory cap must stop it.

use std::hint::black_box;

use kubewarden_policy_sdk::{
    accept_request, protocol_version_guest, settings::Validatable, validate_settings,
};
use serde::Deserialize;
use wapc_guest::{CallResult, register_function};

const MIB: usize = 1 << 20;

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Settings {
    mib: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { mib: 512 }
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
    let mib = serde_json::from_slice::<Payload>(payload)?.settings.mib;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for i in 0..mib {
        let mut chunk = vec![0u8; MIB];
        for page in chunk.iter_mut().step_by(4096) {
            *page = (i % 251) as u8 + 1;
        }
        chunks.push(black_box(chunk));
    }
    black_box(&chunks);
    accept_request()
}
