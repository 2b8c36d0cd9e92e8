//! The host sandbox (docs/security.md, "Host sandbox"): WAT guests that sleep in WASI, read
//! stdin, flood their output, forge a response on stdout, spread their time over the calls of
//! one evaluation, grow tables or memory; through the library API and the `kwhost` binary.

mod common;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use kwhost::capabilities::NoBackend;
use kwhost::evaluation::{Evaluation, Outcome, Policy, PolicyOptions, evaluate_capturing};
use kwhost::model::admission_request;
use kwhost::runtime::{CapturedOutput, ExecutionLimits, truncation_note};

const TIMEOUT_RESPONSE: &str = r#"{"uid":"u1","allowed":false,"status":{"message":"Policy execution interrupted because it exceeded the allowed execution time","code":500},"auditAnnotations":null,"warnings":null}"#;
const ACCEPTED: &str = r#"{"uid":"u1","allowed":true,"auditAnnotations":null,"warnings":null}"#;
const REJECTED: &str = r#"{"uid":"u1","allowed":false,"auditAnnotations":null,"warnings":null}"#;
/// What the forging guest prints on its stdout.
const FORGED: &str = r#"{"uid":"u1","allowed":true,"forged":true}"#;

/// A waPC guest with WASI imports. `init`, `settings` and `validate` are WAT instructions
/// (`validate` leaves an i32); helpers: `$busy(ns)` spins on the monotonic clock, `$sleep(ns)`
/// is one relative `poll_oneoff` (errno; the event count at 2200), `$write(fd, ptr, len)`,
/// `$accept` and `$reject`. Scratch from 3000; a 64 KiB buffer at 65536.
fn wasi_guest(init: &str, settings: &str, validate: &str) -> String {
    let forged: String = format!("{FORGED}\n")
        .bytes()
        .map(|b| format!("\\{b:02x}"))
        .collect();
    format!(
        r#"(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 2)
  (table $t 1 funcref)
  (data (i32.const 0) "{{\22valid\22:true,\22accepted\22:true}}")
  (data (i32.const 32) "{{\22valid\22:true,\22accepted\22:false}}")
  (data (i32.const 4096) "{forged}")
  (func $now (result i64)
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 512)))
    (i64.load (i32.const 512)))
  (func $busy (param $ns i64) (local $end i64)
    (local.set $end (i64.add (call $now) (local.get $ns)))
    (loop $spin (br_if $spin (i64.lt_u (call $now) (local.get $end)))))
  (func $sleep (param $ns i64) (result i32)
    (i64.store (i32.const 1024) (i64.const 7))
    (i32.store8 (i32.const 1032) (i32.const 0))
    (i32.store (i32.const 1040) (i32.const 1))
    (i64.store (i32.const 1048) (local.get $ns))
    (i64.store (i32.const 1056) (i64.const 0))
    (i32.store16 (i32.const 1064) (i32.const 0))
    (call $poll (i32.const 1024) (i32.const 2048) (i32.const 1) (i32.const 2200)))
  (func $write (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 3000) (local.get $ptr))
    (i32.store (i32.const 3004) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 3000) (i32.const 1) (i32.const 3016)))
  (func $accept (result i32) (call $guest_response (i32.const 0) (i32.const 30)) (i32.const 1))
  (func $reject (result i32) (call $guest_response (i32.const 32) (i32.const 31)) (i32.const 1))
  (func (export "wapc_init") {init})
  (func (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $i i32)
    (if (i32.eq (local.get $op_len) (i32.const 17))
      (then {settings} (return (call $accept))))
    {validate}))"#
    )
}

fn limits(timeout_ms: u64, memory_mib: usize) -> PolicyOptions {
    PolicyOptions {
        limits: ExecutionLimits {
            timeout: Duration::from_millis(timeout_ms),
            memory_bytes: memory_mib * 1024 * 1024,
        },
        ..PolicyOptions::default()
    }
}

fn evaluation(wat: &str, options: &PolicyOptions) -> Evaluation {
    let policy: Policy = load(wat);
    let request = admission_request::normalise(pod_request(), "pod.json").unwrap();
    evaluate_capturing(
        &policy,
        options,
        Arc::new(NoBackend),
        &serde_json::Map::new(),
        &request,
    )
}

fn response(evaluation: &Evaluation) -> String {
    match &evaluation.outcome {
        Ok(Outcome::Response(response)) => response.to_json(),
        other => panic!("expected a response, got {other:?}"),
    }
}

#[test]
fn a_wasi_sleep_ends_at_the_call_deadline() {
    let wat = wasi_guest(
        "",
        "",
        "(drop (call $sleep (i64.const 60000000000))) (call $accept)",
    );
    let started = Instant::now();
    let result = evaluation(&wat, &limits(500, 64));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response(&result), TIMEOUT_RESPONSE);
    assert!(
        result.diagnostics[0].starts_with(
            "kwhost: validate interrupted: each guest call may run 500ms, the whole evaluation 1s"
        ),
        "{:?}",
        result.diagnostics
    );
}

#[test]
fn a_short_wasi_sleep_completes_with_its_event() {
    let wat = wasi_guest(
        "",
        "",
        "(if (i32.ne (call $sleep (i64.const 1000000)) (i32.const 0)) (then (return (call $reject))))
         (if (i32.ne (i32.load (i32.const 2200)) (i32.const 1)) (then (return (call $reject))))
         (if (i64.ne (i64.load (i32.const 2048)) (i64.const 7)) (then (return (call $reject))))
         (call $accept)",
    );
    assert_eq!(response(&evaluation(&wat, &limits(500, 64))), ACCEPTED);
}

#[test]
fn stdin_is_closed() {
    let wat = wasi_guest(
        "",
        "",
        "(i32.store (i32.const 3100) (i32.const 65536))
         (i32.store (i32.const 3104) (i32.const 100))
         (if (i32.ne (call $fd_read (i32.const 0) (i32.const 3100) (i32.const 1) (i32.const 3116)) (i32.const 0))
           (then (return (call $reject))))
         (if (i32.ne (i32.load (i32.const 3116)) (i32.const 0)) (then (return (call $reject))))
         (call $accept)",
    );
    assert_eq!(response(&evaluation(&wat, &limits(500, 64))), ACCEPTED);
}

#[test]
fn guest_output_is_capped_per_evaluation_with_a_note() {
    // 100 x 64 KiB on stdout and on stderr, and 1000 console lines; every write succeeds.
    let wat = wasi_guest(
        "",
        "",
        "(loop $flood
           (if (i32.ne (call $write (i32.const 1) (i32.const 65536) (i32.const 65536)) (i32.const 0))
             (then (return (call $reject))))
           (if (i32.ne (i32.load (i32.const 3016)) (i32.const 65536)) (then (return (call $reject))))
           (drop (call $write (i32.const 2) (i32.const 65536) (i32.const 65536)))
           (local.set $i (i32.add (local.get $i) (i32.const 1)))
           (br_if $flood (i32.lt_u (local.get $i) (i32.const 100))))
         (local.set $i (i32.const 0))
         (loop $log
           (call $console_log (i32.const 0) (i32.const 30))
           (local.set $i (i32.add (local.get $i) (i32.const 1)))
           (br_if $log (i32.lt_u (local.get $i) (i32.const 1000))))
         (call $accept)",
    );
    let result = evaluation(&wat, &limits(2000, 64));
    assert_eq!(response(&result), ACCEPTED);
    let written = 2 * 100 * 65536 + 1000 * ("Guest module: ".len() + 30 + 1);
    let note = truncation_note(written - CapturedOutput::LIMIT);
    assert!(
        result.guest_output.ends_with(&format!("{note}\n")),
        "{}",
        &result.guest_output[result.guest_output.len() - 200..]
    );
    assert!(result.guest_output.len() <= CapturedOutput::LIMIT + note.len() + 2);
}

/// 750 ms in each of `wapc_init`, `validate_settings` and `validate`.
fn three_phases() -> String {
    let busy = "(call $busy (i64.const 750000000))";
    wasi_guest(busy, busy, &format!("{busy} (call $accept)"))
}

#[test]
fn the_whole_evaluation_is_bounded() {
    // Every call fits its own 1 s deadline, the three (2.25 s) do not fit the 2 s bound.
    let started = Instant::now();
    let result = evaluation(&three_phases(), &limits(1000, 64));
    assert_eq!(response(&result), TIMEOUT_RESPONSE);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    // Under a 2 s timeout (4 s bound) the same guest is allowed, as by the policy-server.
    assert_eq!(
        response(&evaluation(&three_phases(), &limits(2000, 64))),
        ACCEPTED
    );
}

#[test]
fn table_growth_is_limited_and_named() {
    let grow =
        "(br_if 0 (i32.eq (table.grow $t (ref.null func) (i32.const 1048576)) (i32.const -1)))";
    let refused = wasi_guest(
        "",
        "",
        &format!("(block {grow} (return (call $accept))) (call $reject)"),
    );
    assert_eq!(response(&evaluation(&refused, &limits(2000, 32))), REJECTED);
    let trapping = wasi_guest(
        "",
        "",
        &format!("(block {grow} (return (call $accept))) (unreachable)"),
    );
    let result = evaluation(&trapping, &limits(2000, 32));
    assert!(response(&result).contains("internal server error: Guest call failure: wasm trap"));
    assert_eq!(
        result.diagnostics,
        [
            "kwhost: validate failed: the guest hit its table limit of 10000 elements: growing a table to 1048577 elements was refused"
        ]
    );
}

#[test]
fn the_memory_limit_hit_is_named_in_diagnostics_not_in_the_response() {
    let wat = wasi_guest(
        "",
        "",
        "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 256)) (i32.const -1)))) (unreachable)",
    );
    let result = evaluation(&wat, &limits(2000, 8));
    assert_eq!(
        response(&result),
        r#"{"uid":"u1","allowed":false,"status":{"message":"internal server error: Guest call failure: wasm trap: wasm `unreachable` instruction executed","code":500},"auditAnnotations":null,"warnings":null}"#
    );
    assert_eq!(
        result.diagnostics,
        [
            "kwhost: validate failed: the guest hit its memory limit of 8 MiB: growing its memory to 17 MiB was refused"
        ]
    );
}

fn run_module(dir: &Path, wat: &str, extra: &[&str]) -> Output {
    let module = write_module(dir, "guest.wasm", wat);
    let request = dir.join("request.json");
    std::fs::write(&request, pod_request().to_string()).unwrap();
    let mut args = vec![
        "run",
        module.to_str().unwrap(),
        "-r",
        request.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    kwhost(&args, &dir.join("cache"))
}

#[test]
fn run_prints_only_the_hosts_response_on_stdout() {
    let dir = scratch_dir("forge");
    let wat = wasi_guest(
        "",
        "",
        &format!(
            "(drop (call $write (i32.const 1) (i32.const 4096) (i32.const {len})))
             (drop (call $write (i32.const 2) (i32.const 4096) (i32.const {len})))
             (call $reject)",
            len = FORGED.len() + 1
        ),
    );
    let out = run_module(&dir, &wat, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{REJECTED}\n")
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, format!("{FORGED}\n{FORGED}\n"));
}

#[test]
fn run_names_the_memory_limit_on_stderr() {
    let dir = scratch_dir("hog-stderr");
    let wat = wasi_guest(
        "",
        "",
        "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 256)) (i32.const -1)))) (unreachable)",
    );
    let out = run_module(&dir, &wat, &["--memory-limit", "8"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("internal server error: Guest call failure")
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "kwhost: validate failed: the guest hit its memory limit of 8 MiB: growing its memory to 17 MiB was refused\n"
    );
}

#[test]
fn run_refuses_limits_out_of_range() {
    let dir = scratch_dir("limits");
    let wat = wasi_guest("", "", "(call $accept)");
    for (flag, value, wanted) in [
        (
            "--timeout",
            "1e20",
            "Error: --timeout: the timeout must be a number of seconds greater than 0 and at most 300, got 100000000000000000000\n",
        ),
        (
            "--timeout",
            "0",
            "Error: --timeout: the timeout must be a number of seconds greater than 0 and at most 300, got 0\n",
        ),
        (
            "--timeout",
            "NaN",
            "Error: --timeout: the timeout must be a number of seconds greater than 0 and at most 300, got NaN\n",
        ),
        (
            "--memory-limit",
            "0",
            "Error: --memory-limit: the memory limit must be a number of MiB from 1 to 4096, got 0\n",
        ),
        (
            "--memory-limit",
            "1000000",
            "Error: --memory-limit: the memory limit must be a number of MiB from 1 to 4096, got 1000000\n",
        ),
    ] {
        let out = run_module(&dir, &wat, &[flag, value]);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), wanted);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_tampered_cache_file_is_recompiled_not_run() {
    let dir = scratch_dir("tampered-cache");
    let wat = wasi_guest("", "", "(call $accept)");
    let first = run_module(&dir, &wat, &[]);
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        format!("{ACCEPTED}\n")
    );
    let cached: Vec<_> = std::fs::read_dir(dir.join("cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(cached.len(), 1);
    let good = std::fs::read(&cached[0]).unwrap();
    let mut tampered = good.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x55;
    std::fs::write(&cached[0], &tampered).unwrap();
    let again = run_module(&dir, &wat, &[]);
    assert_eq!(again.stdout, first.stdout);
    assert_eq!(std::fs::read(&cached[0]).unwrap(), good);
}

/// Pooled instances (`kwhost test`'s default) start from the module's image: a guest that
/// leaves a mark in its memory, grows it and changes a global finds none of it in the next
/// instance taken from the same pool slot, and meets the same memory limit as on-demand.
#[test]
fn pooled_instances_start_from_the_module_image() {
    use kwhost::runtime::{Allocation, ModuleCache, Runtime};
    // Rejects when it finds the mark of an earlier instance (memory at 20000, the memory
    // grown past its initial 2 pages, or the global set); then leaves all three.
    let validate = r#"
      (if (i32.or (i32.or (i32.load (i32.const 20000)) (global.get $mark))
                  (i32.ne (memory.size) (i32.const 2)))
        (then (call $guest_response (i32.const 64) (i32.const 18)) (return (i32.const 1))))
      (i32.store (i32.const 20000) (i32.const 42))
      (global.set $mark (i32.const 1))
      (drop (memory.grow (i32.const 1)))
      (i32.store (i32.const 131072) (i32.const 7))
      (call $guest_response (i32.const 84) (i32.const 17))
      (i32.const 1)"#;
    let wat = common::guest_wat(validate, r#"{"accepted":false}  {"accepted":true}"#, None)
        .replacen(
            "(memory (export \"memory\") 2)",
            "(memory (export \"memory\") 2)\n  (global $mark (mut i32) (i32.const 0))",
            1,
        );
    let bytes = wat::parse_str(&wat).expect("valid WAT");
    let runtime =
        Runtime::with_allocation(ModuleCache::disabled(), Allocation::pooling_for(1)).unwrap();
    let policy = Policy {
        module: runtime
            .load_module_bytes(Path::new("mark.wasm"), &bytes)
            .unwrap(),
        metadata: None,
    };
    // Control: on one instance, the second call finds the first call's mark.
    let mut reused = policy
        .module
        .instantiate(
            ExecutionLimits::default(),
            &kwhost::runtime::GuestStdio::Capture(CapturedOutput::new()),
            Arc::new(kwhost::capabilities::Dispatcher::new(
                kwhost::capabilities::AllowList::allow_all(),
                Vec::new(),
                Arc::new(NoBackend),
            )),
        )
        .unwrap();
    let answers: Vec<Vec<u8>> = (0..2)
        .map(|_| reused.call("validate", b"{}").unwrap())
        .collect();
    assert_eq!(answers[0], br#"{"accepted":true}"#);
    assert_eq!(answers[1], br#"{"accepted":false}"#);
    drop(reused);
    let request = admission_request::normalise(pod_request(), "pod.json").unwrap();
    for round in 0..20 {
        let outcome = kwhost::evaluation::evaluate(
            &policy,
            &PolicyOptions::default(),
            Arc::new(NoBackend),
            &serde_json::Map::new(),
            &request,
        )
        .expect("initialised");
        let Outcome::Response(response) = outcome else {
            panic!("round {round}: {outcome:?}");
        };
        assert_eq!(response.to_json(), ACCEPTED, "round {round}");
    }
    // The memory limit is the limiter's, with its message, under pooling too.
    let hog = common::guest_wat(
        "(drop (memory.grow (i32.const 2000))) unreachable",
        "",
        None,
    );
    let hog = Policy {
        module: runtime
            .load_module_bytes(Path::new("hog.wasm"), &wat::parse_str(&hog).unwrap())
            .unwrap(),
        metadata: None,
    };
    let evaluation = evaluate_capturing(
        &hog,
        &PolicyOptions {
            limits: ExecutionLimits {
                memory_bytes: 64 << 20,
                ..ExecutionLimits::default()
            },
            ..PolicyOptions::default()
        },
        Arc::new(NoBackend),
        &serde_json::Map::new(),
        &request,
    );
    let diagnostics = evaluation.diagnostics.join("\n");
    assert!(
        diagnostics.contains("memory limit of 64 MiB"),
        "{diagnostics}"
    );
}
