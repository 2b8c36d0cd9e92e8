//! Tiny waPC guests written in WAT, and helpers to evaluate them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use kwhost::capabilities::{CapabilityBackend, NoBackend};
use kwhost::evaluation::{Outcome, Policy, PolicyOptions, evaluate};
use kwhost::model::admission_request;
use kwhost::runtime::{ModuleCache, Runtime};
use serde_json::{Value, json};

/// Valid settings answer, at offset 0 of every guest (30 bytes).
const SETTINGS_OK: &str = r#"{"valid":true,"message":null}"#;

fn wat_string(text: &str) -> String {
    text.bytes().map(|b| format!("\\{b:02x}")).collect()
}

/// A waPC guest: `validate_settings` answers `settings_response` (default valid),
/// `validate` runs `validate_body` (WAT instructions leaving an i32 on the stack).
/// The payload is at 4096, the operation at 1024, `data` at 64, scratch at 16384.
pub fn guest_wat(validate_body: &str, data: &str, settings_response: Option<&str>) -> String {
    let settings = settings_response.unwrap_or(SETTINGS_OK);
    format!(
        r#"(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "{settings}")
  (data (i32.const 64) "{data}")
  (func (export "wapc_init"))
  (func (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $len i32)
    (call $guest_request (i32.const 1024) (i32.const 4096))
    (if (i32.eq (local.get $op_len) (i32.const 17))
      (then
        (call $guest_response (i32.const 0) (i32.const {settings_len}))
        (return (i32.const 1))))
    {validate_body}))"#,
        settings = wat_string(settings),
        settings_len = settings.len(),
        data = wat_string(data),
    )
}

/// `validate` answers the bytes of `response` verbatim.
pub fn responding(response: &str) -> String {
    guest_wat(
        &format!(
            "(call $guest_response (i32.const 64) (i32.const {})) (i32.const 1)",
            response.len()
        ),
        response,
        None,
    )
}

/// `validate` returns its whole input payload as the guest error.
pub fn echoing() -> String {
    guest_wat(
        "(call $guest_error (i32.const 4096) (local.get $req_len)) (i32.const 0)",
        "",
        None,
    )
}

/// `validate` makes the host call `kubewarden/<ns>/<op>` with `payload`, then reports the
/// host response (or host error) as its guest error, so tests can read it.
pub fn host_calling(namespace: &str, operation: &str, payload: &str) -> String {
    let data = format!("kubewarden{namespace}{operation}{payload}");
    let (ns_ptr, op_ptr) = (64 + 10, 64 + 10 + namespace.len());
    let payload_ptr = op_ptr + operation.len();
    let body = format!(
        r#"(if (result i32) (call $host_call (i32.const 64) (i32.const 10) (i32.const {ns_ptr}) (i32.const {ns_len})
                                 (i32.const {op_ptr}) (i32.const {op_len}) (i32.const {payload_ptr}) (i32.const {payload_len}))
      (then
        (local.set $len (call $host_response_len))
        (call $host_response (i32.const 16384))
        (call $guest_error (i32.const 16384) (local.get $len))
        (i32.const 0))
      (else
        (local.set $len (call $host_error_len))
        (call $host_error (i32.const 16384))
        (call $guest_error (i32.const 16384) (local.get $len))
        (i32.const 0)))"#,
        ns_len = namespace.len(),
        op_len = operation.len(),
        payload_len = payload.len(),
    );
    guest_wat(&body, &data, None)
}

pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(ModuleCache::disabled()).expect("engine"))
}

/// A fresh scratch directory for one test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kwhost-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write_module(dir: &Path, name: &str, wat: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, wat::parse_str(wat).expect("valid WAT")).unwrap();
    path
}

pub fn load(wat: &str) -> Policy {
    let bytes = wat::parse_str(wat).expect("valid WAT");
    let module = runtime()
        .load_module_bytes(Path::new("guest.wasm"), &bytes)
        .expect("loadable guest");
    Policy {
        module,
        metadata: None,
    }
}

pub fn pod_request() -> Value {
    json!({
        "uid": "u1",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "operation": "CREATE",
        "userInfo": {"username": "alice"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    })
}

pub fn run_with(
    wat: &str,
    options: &PolicyOptions,
    backend: Arc<dyn CapabilityBackend>,
) -> Outcome {
    let policy = load(wat);
    let request = admission_request::normalise(pod_request(), "pod.json").unwrap();
    evaluate(&policy, options, backend, &serde_json::Map::new(), &request).expect("initialised")
}

/// The compact AdmissionResponse JSON of evaluating the pod request.
pub fn response_json(wat: &str, options: &PolicyOptions) -> String {
    match run_with(wat, options, Arc::new(NoBackend)) {
        Outcome::Response(response) => response.to_json(),
        other => panic!("expected a response, got {other:?}"),
    }
}

/// The `kwhost` binary of this build, with its compiled-module cache in `cache`.
pub fn kwhost(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kwhost"))
        .args(args)
        .env("KWHOST_CACHE_DIR", cache)
        .output()
        .expect("kwhost runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
