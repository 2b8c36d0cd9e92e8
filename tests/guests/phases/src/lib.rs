//! `phases` test guest: spends its time across the calls of one evaluation, each under the
//! per-call deadline: `wapc_init` busy for 1.5 s, then `validate_settings` and `validate` each
//! busy for `{"ms": N}` (default 1500) milliseconds of wall-clock time. With a 2 s timeout
//! every call fits its own deadline, but the whole evaluation (4 s) does not.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kubewarden_policy_sdk::{accept_request, protocol_version_guest};
use serde::Deserialize;
use wapc_guest::{CallResult, register_function};

const INIT_MS: u64 = 1500;

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Settings {
    ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { ms: 1500 }
    }
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    settings: Settings,
}

fn busy(ms: u64) {
    let start = Instant::now();
    let mut counter: u64 = 0;
    while start.elapsed() < Duration::from_millis(ms) {
        counter = black_box(counter.wrapping_add(1));
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    busy(INIT_MS);
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

fn validate_settings(payload: &[u8]) -> CallResult {
    let settings: Settings = serde_json::from_slice(payload)?;
    busy(settings.ms);
    Ok(br#"{"valid":true}"#.to_vec())
}

fn validate(payload: &[u8]) -> CallResult {
    busy(serde_json::from_slice::<Payload>(payload)?.settings.ms);
    accept_request()
}
