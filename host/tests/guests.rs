//! Hostile and well-behaved WAT guests through the library API.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use kwhost::capabilities::{AllowList, ContextAwareResource, NoBackend, World};
use kwhost::evaluation::{Outcome, PolicyOptions};
use kwhost::model::admission_response::PolicyMode;
use kwhost::runtime::ExecutionLimits;

fn options() -> PolicyOptions {
    PolicyOptions::default()
}

#[test]
fn accepting_guest() {
    assert_eq!(
        response_json(&responding(r#"{"accepted":true}"#), &options()),
        r#"{"uid":"u1","allowed":true,"auditAnnotations":null,"warnings":null}"#
    );
}

#[test]
fn rejecting_guest_with_all_fields() {
    let sdk = r#"{"accepted":false,"message":"no privileged","code":403,"mutated_object":null,"audit_annotations":{"k":"v"},"warnings":["careful"]}"#;
    assert_eq!(
        response_json(&responding(sdk), &options()),
        r#"{"uid":"u1","allowed":false,"status":{"message":"no privileged","code":403},"auditAnnotations":{"k":"v"},"warnings":["careful"]}"#
    );
}

#[test]
fn mutating_guest_and_modes() {
    let mutate = r#"{"accepted":true,"mutated_object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"}}}}"#;
    // [{"op":"add","path":"/metadata/labels","value":{"a":"b"}}]
    assert_eq!(
        response_json(&responding(mutate), &options()),
        r#"{"uid":"u1","allowed":true,"patchType":"JSONPatch","patch":"W3sib3AiOiJhZGQiLCJwYXRoIjoiL21ldGFkYXRhL2xhYmVscyIsInZhbHVlIjp7ImEiOiJiIn19XQ==","auditAnnotations":null,"warnings":null}"#
    );
    let monitor = PolicyOptions {
        mode: PolicyMode::Monitor,
        ..options()
    };
    assert_eq!(
        response_json(
            &responding(r#"{"accepted":false,"message":"no"}"#),
            &monitor
        ),
        r#"{"uid":"u1","allowed":true,"auditAnnotations":null,"warnings":null}"#
    );
}

#[test]
fn echo_guest_sees_sorted_request_and_settings() {
    assert_eq!(
        response_json(&echoing(), &options()),
        r#"{"uid":"u1","allowed":false,"status":{"message":"internal server error: Guest call failure: {\"request\":{\"kind\":{\"group\":\"\",\"kind\":\"Pod\",\"version\":\"v1\"},\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}},\"operation\":\"CREATE\",\"resource\":{\"group\":\"\",\"resource\":\"pods\",\"version\":\"v1\"},\"uid\":\"u1\",\"userInfo\":{\"username\":\"alice\"}},\"settings\":{}}","code":500},"auditAnnotations":null,"warnings":null}"#
    );
}

#[test]
fn trapping_guest() {
    let wat = guest_wat("(unreachable)", "", None);
    assert_eq!(
        response_json(&wat, &options()),
        r#"{"uid":"u1","allowed":false,"status":{"message":"internal server error: Guest call failure: wasm trap: wasm `unreachable` instruction executed","code":500},"auditAnnotations":null,"warnings":null}"#
    );
}

#[test]
fn infinite_loop_hits_the_deadline() {
    let wat = guest_wat("(loop $forever (br $forever)) (i32.const 1)", "", None);
    let short = PolicyOptions {
        limits: ExecutionLimits {
            timeout: Duration::from_millis(300),
            ..ExecutionLimits::default()
        },
        ..options()
    };
    let started = Instant::now();
    assert_eq!(
        response_json(&wat, &short),
        r#"{"uid":"u1","allowed":false,"status":{"message":"Policy execution interrupted because it exceeded the allowed execution time","code":500},"auditAnnotations":null,"warnings":null}"#
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn memory_hog_is_capped() {
    // Grows by 256 pages (16 MiB) at a time until refused, then traps.
    let wat = guest_wat(
        "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 256)) (i32.const -1)))) (unreachable)",
        "",
        None,
    );
    let capped = PolicyOptions {
        limits: ExecutionLimits {
            memory_bytes: 8 * 1024 * 1024,
            ..ExecutionLimits::default()
        },
        ..options()
    };
    assert_eq!(
        response_json(&wat, &capped),
        r#"{"uid":"u1","allowed":false,"status":{"message":"internal server error: Guest call failure: wasm trap: wasm `unreachable` instruction executed","code":500},"auditAnnotations":null,"warnings":null}"#
    );
}

#[test]
fn malformed_guest_output() {
    assert_eq!(
        response_json(&responding("not json"), &options()),
        r#"{"uid":"u1","allowed":false,"status":{"message":"internal server error: cannot deserialize policy validation response: expected ident at line 1 column 2","code":500},"auditAnnotations":null,"warnings":null}"#
    );
    assert_eq!(
        response_json(&responding(r#"{"message":"x"}"#), &options()),
        r#"{"uid":"u1","allowed":false,"status":{"message":"internal server error: cannot deserialize policy validation response: missing field `accepted` at line 1 column 15","code":500},"auditAnnotations":null,"warnings":null}"#
    );
}

#[test]
fn out_of_bounds_response_pointer_is_a_guest_error() {
    let wat = guest_wat(
        "(call $guest_response (i32.const 131000) (i32.const 100000)) (i32.const 1)",
        "",
        None,
    );
    let json = response_json(&wat, &options());
    assert!(
        json.contains("Guest call failure: guest pointer 131000+100000 is outside its memory"),
        "{json}"
    );
}

#[test]
fn invalid_settings() {
    let wat = guest_wat(
        "(i32.const 1)",
        "",
        Some(r#"{"valid":false,"message":"bad"}"#),
    );
    assert_eq!(
        run_with(&wat, &options(), Arc::new(NoBackend)),
        Outcome::InvalidSettings("bad".into())
    );
}

#[test]
fn settings_guest_error_is_reported_like_kwctl() {
    // validate_settings traps: every operation runs the same trapping body.
    let wat = r#"(module (memory (export "memory") 1)
      (func (export "__guest_call") (param i32 i32) (result i32) (unreachable)))"#;
    assert_eq!(
        run_with(wat, &options(), Arc::new(NoBackend)),
        Outcome::InvalidSettings(
            "Error invoking settings validation callback: GuestCallFailure(\"wasm trap: wasm `unreachable` instruction executed\")".into()
        )
    );
}

#[test]
fn missing_guest_call_is_a_load_error() {
    let bytes = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
    let error = runtime()
        .load_module_bytes(std::path::Path::new("m.wasm"), &bytes)
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "module m.wasm is not a waPC policy: it does not export `__guest_call`"
    );
    let error = runtime()
        .load_module_bytes(std::path::Path::new("x.wasm"), b"hello")
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "x.wasm is not a WebAssembly module (no `\\0asm` header)"
    );
}

fn message_of(outcome: Outcome) -> String {
    match outcome {
        Outcome::Response(r) => r.status.and_then(|s| s.message).unwrap_or_default(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn host_calls_reach_the_world() {
    let world = Arc::new(World::from_yaml("dns: { example.com: [\"93.184.216.34\"] }").unwrap());
    let wat = host_calling("net", "v1/dns_lookup_host", r#""example.com""#);
    assert_eq!(
        message_of(run_with(&wat, &options(), world.clone())),
        r#"internal server error: Guest call failure: {"ips":["93.184.216.34"]}"#
    );
    let wat = host_calling("net", "v1/dns_lookup_host", r#""other.org""#);
    assert_eq!(
        message_of(run_with(&wat, &options(), world.clone())),
        "internal server error: Guest call failure: Callback evaluation failure: world has no dns entry for other.org"
    );
    let denied = PolicyOptions {
        allowed_capabilities: AllowList::parse(&["oci/*"]).unwrap(),
        ..options()
    };
    assert_eq!(
        message_of(run_with(&wat, &denied, world)),
        "internal server error: Guest call failure: Policy has not been granted access to the 'net/v1/dns_lookup_host' host capability. The violation has been reported."
    );
}

#[test]
fn kubernetes_calls_need_context_aware_grant() {
    let world = Arc::new(
        World::from_yaml("kubernetes: { objects: [ { apiVersion: v1, kind: Namespace, metadata: { name: prod } } ] }")
            .unwrap(),
    );
    let wat = host_calling(
        "kubernetes",
        "get_resource",
        r#"{"api_version":"v1","kind":"Namespace","name":"prod","namespace":null,"disable_cache":false}"#,
    );
    assert_eq!(
        message_of(run_with(&wat, &options(), world.clone())),
        "internal server error: Guest call failure: Policy has not been granted access to Kubernetes v1/Namespace resources. The violation has been reported."
    );
    // Granted through metadata + allow_context_aware.
    let mut policy = load(&wat);
    policy.metadata = Some(kwhost_artifact::Metadata {
        context_aware_resources: [ContextAwareResource {
            api_version: "v1".into(),
            kind: "Namespace".into(),
        }]
        .into(),
        ..Default::default()
    });
    let request = kwhost::model::admission_request::normalise(pod_request(), "pod.json").unwrap();
    let granted = PolicyOptions {
        allow_context_aware: true,
        ..options()
    };
    let outcome =
        kwhost::evaluation::evaluate(&policy, &granted, world, &serde_json::Map::new(), &request)
            .unwrap();
    assert_eq!(
        message_of(outcome),
        r#"internal server error: Guest call failure: {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"prod"}}"#
    );
}

#[test]
fn host_survives_many_hostile_evaluations_in_parallel() {
    let trap = load(&guest_wat("(unreachable)", "", None));
    let ok = load(&responding(r#"{"accepted":true}"#));
    let request = kwhost::model::admission_request::normalise(pod_request(), "pod.json").unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for policy in [&trap, &ok, &trap, &ok] {
                    let outcome = kwhost::evaluation::evaluate(
                        policy,
                        &options(),
                        Arc::new(NoBackend),
                        &serde_json::Map::new(),
                        &request,
                    );
                    assert!(matches!(outcome, Ok(Outcome::Response(_))));
                }
            });
        }
    });
}
