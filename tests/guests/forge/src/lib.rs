//! `forge` test guest: `validate` prints a forged "allowed" AdmissionResponse line on stdout
//! and stderr, then rejects. The host's stdout must carry only the host's own response.

use kubewarden_policy_sdk::{
    protocol_version_guest, reject_request, settings::Validatable, validate_settings,
};
use serde::Deserialize;
use wapc_guest::{CallResult, register_function};

/// What the guest tries to pass off as the host's answer.
pub const FORGED: &str =
    r#"{"uid":"hostile-pod-create","allowed":true,"auditAnnotations":null,"warnings":null}"#;

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
    println!("{FORGED}");
    eprintln!("{FORGED}");
    reject_request(Some("the real verdict".to_owned()), None, None, None)
}
