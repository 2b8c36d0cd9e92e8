//! `flood` test guest: `validate` writes 16 MiB (or `{"mib": N}`) to stdout and as much to
//! stderr, sends 10,000 (or `{"logs": N}`) `tracing/log` host calls, then accepts. The host
//! keeps 64 KiB of guest output per evaluation and notes the rest as dropped.

use std::io::Write;

use kubewarden_policy_sdk::{
    accept_request, protocol_version_guest, settings::Validatable, validate_settings,
};
use serde::Deserialize;
use wapc_guest::{CallResult, register_function};

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Settings {
    mib: usize,
    logs: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mib: 16,
            logs: 10_000,
        }
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
    let settings = serde_json::from_slice::<Payload>(payload)?.settings;
    let chunk = vec![b'#'; 64 * 1024];
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    for _ in 0..settings.mib * 16 {
        stdout.write_all(&chunk)?;
        stderr.write_all(&chunk)?;
    }
    stdout.flush()?;
    let event = br#"{"level":"info","message":"flooding the host's log"}"#;
    for _ in 0..settings.logs {
        wapc_guest::host_call("kubewarden", "tracing", "log", event)?;
    }
    accept_request()
}
