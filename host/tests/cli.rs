//! The `kwhost` binary: output, exit codes, suites.

mod common;

use std::process::Command;

use common::*;

#[test]
fn run_prints_the_response_and_exits_zero() {
    let dir = scratch_dir("run-ok");
    let module = write_module(
        &dir,
        "reject.wasm",
        &responding(r#"{"accepted":false,"message":"nope"}"#),
    );
    let review = serde_json::json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": pod_request()});
    std::fs::write(dir.join("review.json"), review.to_string()).unwrap();
    let out = kwhost(
        &[
            "run",
            module.to_str().unwrap(),
            "--request-path",
            dir.join("review.json").to_str().unwrap(),
        ],
        &dir.join("cache"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"uid\":\"u1\",\"allowed\":false,\"status\":{\"message\":\"nope\"},\"auditAnnotations\":null,\"warnings\":null}\n"
    );
    // Second run hits the compiled-module cache.
    let again = kwhost(
        &[
            "run",
            module.to_str().unwrap(),
            "-r",
            dir.join("review.json").to_str().unwrap(),
        ],
        &dir.join("cache"),
    );
    assert_eq!(again.stdout, out.stdout);
    assert_eq!(std::fs::read_dir(dir.join("cache")).unwrap().count(), 1);
}

#[test]
fn invalid_settings_exit_one() {
    let dir = scratch_dir("run-settings");
    let module = write_module(
        &dir,
        "p.wasm",
        &guest_wat(
            "(i32.const 1)",
            "",
            Some(r#"{"valid":false,"message":"bad key"}"#),
        ),
    );
    std::fs::write(dir.join("req.json"), pod_request().to_string()).unwrap();
    let out = kwhost(
        &[
            "run",
            module.to_str().unwrap(),
            "-r",
            dir.join("req.json").to_str().unwrap(),
            "--settings-json",
            r#"{"a":1}"#,
        ],
        &dir.join("cache"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Error: Provided settings are not valid: bad key\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unusable_input_exits_two() {
    let dir = scratch_dir("run-unusable");
    let module = write_module(&dir, "p.wasm", &responding(r#"{"accepted":true}"#));
    let mut request = pod_request();
    request.as_object_mut().unwrap().remove("uid");
    std::fs::write(dir.join("no-uid.json"), request.to_string()).unwrap();
    std::fs::write(dir.join("req.json"), pod_request().to_string()).unwrap();
    std::fs::write(dir.join("bad.json"), "{ not json").unwrap();
    std::fs::write(dir.join("text.wasm"), "hello").unwrap();
    let cases = [
        (
            module.to_str().unwrap().to_owned(),
            "no-uid.json",
            "missing field `uid`",
        ),
        (
            module.to_str().unwrap().to_owned(),
            "bad.json",
            "bad.json is not valid JSON",
        ),
        (
            dir.join("text.wasm").display().to_string(),
            "req.json",
            "is not a WebAssembly module",
        ),
    ];
    for (module, request, expected) in cases {
        let out = kwhost(
            &["run", &module, "-r", dir.join(request).to_str().unwrap()],
            &dir.join("cache"),
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(expected),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn test_command_runs_suites() {
    let dir = scratch_dir("suite");
    write_module(
        &dir,
        "reject.wasm",
        &responding(r#"{"accepted":false,"message":"container 'app' is privileged","code":403}"#),
    );
    std::fs::write(dir.join("pod.json"), pod_request().to_string()).unwrap();
    std::fs::write(
        dir.join("suite.yaml"),
        r#"
module: reject.wasm
cases:
  - name: rejected
    request: pod.json
    expect: { allowed: false, message: "container 'app'", messageRegex: "privileged$", code: 403, noPatch: true }
  - name: wrong expectation
    request: pod.json
    expect: { allowed: true }
  - name: inline request missing userInfo
    request: { uid: "1", kind: { group: "", version: v1, kind: Pod }, resource: { group: "", version: v1, resource: pods }, operation: CREATE }
    expect: { hostError: "missing field `userInfo`" }
"#,
    )
    .unwrap();
    std::fs::write(dir.join("world.yaml"), "dns: {}\n").unwrap();
    let junit = dir.join("junit.xml");
    // The default (pooled instances, a worker per core) and kwctl's allocation on one worker
    // give the same verdicts.
    for extra in [&[][..], &["-j", "1", "--allocation", "on-demand"][..]] {
        let mut args = vec![
            "test",
            dir.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = kwhost(&args, &dir.join("cache"));
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
        assert!(stdout.contains("ok   "), "{stdout}");
        assert!(
            stdout.contains("FAIL ") && stdout.contains("allowed: expected true, got false"),
            "{stdout}"
        );
        assert!(stdout.ends_with("\n2 passed, 1 failed\n"), "{stdout}");
        let throughput = stdout.lines().rev().nth(1).unwrap_or_default();
        assert!(
            throughput.starts_with("1 module(s) loaded in ") && throughput.ends_with(" cases/s"),
            "{stdout}"
        );
        assert!(
            std::fs::read_to_string(&junit)
                .unwrap()
                .contains("failures=\"1\"")
        );
    }
}

#[test]
fn bench_reports_every_measurement() {
    let dir = scratch_dir("bench");
    let module = write_module(&dir, "accept.wasm", &responding(r#"{"accepted":true}"#));
    std::fs::write(dir.join("req.json"), pod_request().to_string()).unwrap();
    let out = kwhost(
        &[
            "bench",
            module.to_str().unwrap(),
            "-r",
            dir.join("req.json").to_str().unwrap(),
            "--warm-up-time",
            "0",
            "--measurement-time",
            "0.05",
            "--json",
        ],
        &dir.join("cache"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(reports[0]["allocation"], "on-demand");
    assert_eq!(reports[1]["allocation"], "pooling");
    let report = &reports[1];
    for stats in [
        "instantiate",
        "validate_settings",
        "validate_fresh",
        "validate_warm",
    ] {
        let s = &report[stats];
        assert!(s["samples"].as_u64().unwrap() >= 10, "{stats}: {s}");
        let (min, median, p99) = (
            s["min_us"].as_f64().unwrap(),
            s["median_us"].as_f64().unwrap(),
            s["p99_us"].as_f64().unwrap(),
        );
        assert!(0.0 < min && min <= median && median <= p99, "{stats}: {s}");
    }
    assert!(report["evaluations_per_second_one_core"].as_f64().unwrap() > 0.0);
    assert!(report["peak_memory_bytes"].as_u64().unwrap() >= 65536);

    let bad = kwhost(
        &[
            "bench",
            module.to_str().unwrap(),
            "-r",
            dir.join("req.json").to_str().unwrap(),
            "--measurement-time",
            "1e9",
        ],
        &dir.join("cache"),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--measurement-time"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn scaffold_admission_request_builds_what_run_reads() {
    let dir = scratch_dir("scaffold-request");
    std::fs::write(
        dir.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: app, image: nginx}]}\n",
    )
    .unwrap();
    let pod = dir.join("pod.yaml");
    let scaffold = |extra: &[&str]| {
        let mut args = vec![
            "scaffold",
            "admission-request",
            "--object",
            pod.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        kwhost(&args, &dir.join("cache"))
    };
    let out = scaffold(&["--operation", "DELETE", "-n", "team-a", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let review: serde_json::Value = serde_yaml::from_slice(&out.stdout).expect("YAML");
    let request = &review["request"];
    assert_eq!(request["operation"], "DELETE");
    assert_eq!(request["namespace"], "team-a");
    assert_eq!(request["resource"]["resource"], "pods");
    assert_eq!(request["oldObject"]["metadata"]["name"], "web");
    assert!(request.get("object").is_none());
    // Reproducible: the same input gives the same uid.
    let again: serde_json::Value = serde_yaml::from_slice(
        &scaffold(&["--operation", "delete", "-n", "team-a", "--format", "yaml"]).stdout,
    )
    .unwrap();
    assert_eq!(again["request"]["uid"], request["uid"]);

    std::fs::write(dir.join("review.yaml"), &out.stdout).unwrap();
    let module = write_module(&dir, "accept.wasm", &responding(r#"{"accepted":true}"#));
    let run = kwhost(
        &[
            "run",
            module.to_str().unwrap(),
            "-r",
            dir.join("review.yaml").to_str().unwrap(),
        ],
        &dir.join("cache"),
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("\"allowed\":true"));

    // An UPDATE without its old object, and a kind the table does not know: unusable input.
    assert_eq!(scaffold(&["--operation", "update"]).status.code(), Some(2));
    std::fs::write(
        dir.join("widget.yaml"),
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    )
    .unwrap();
    let out = kwhost(
        &[
            "scaffold",
            "admission-request",
            "--operation",
            "create",
            "--object",
            dir.join("widget.yaml").to_str().unwrap(),
        ],
        &dir.join("cache"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown kind \"Widget\""));
}

#[test]
fn completions_cover_every_subcommand() {
    let dir = scratch_dir("completions");
    for shell in ["bash", "zsh", "fish"] {
        let out = kwhost(&["completions", shell], &dir.join("cache"));
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for sub in ["run", "test", "bench", "scaffold", "admission-request"] {
            assert!(script.contains(sub), "{shell} completions lack {sub}");
        }
    }
    assert_eq!(
        kwhost(&["completions", "cmd.exe"], &dir.join("cache"))
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn recorded_host_capabilities_replay_the_same_response() {
    let dir = scratch_dir("record");
    std::fs::write(dir.join("req.json"), pod_request().to_string()).unwrap();
    std::fs::write(
        dir.join("world.yaml"),
        "dns: { example.com: [\"93.184.216.34\"] }\n",
    )
    .unwrap();
    // One answer from the world, one error from it (no entry): both recorded, both replayed.
    for host in ["example.com", "other.org"] {
        let module = write_module(
            &dir,
            "dns.wasm",
            &host_calling("net", "v1/dns_lookup_host", &format!("\"{host}\"")),
        );
        let session = dir.join("session.yml");
        let request = dir.join("req.json");
        let run = |source: &[&str]| {
            let mut args = vec![
                "run",
                module.to_str().unwrap(),
                "-r",
                request.to_str().unwrap(),
            ];
            args.extend_from_slice(source);
            let out = kwhost(&args, &dir.join("cache"));
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            text(&out.stdout)
        };
        let recorded = run(&[
            "--world",
            dir.join("world.yaml").to_str().unwrap(),
            "--record-host-capabilities-interactions",
            session.to_str().unwrap(),
        ]);
        let yaml = std::fs::read_to_string(&session).unwrap();
        assert!(
            yaml.contains("- type: Exchange") && yaml.contains("!DNSLookupHost"),
            "{yaml}"
        );
        let replayed = run(&[
            "--replay-host-capabilities-interactions",
            session.to_str().unwrap(),
        ]);
        assert_eq!(recorded, replayed, "{host}");
    }
}

/// A reader that stops early (`kwhost test ... | head`) ends kwhost quietly, as it ends any
/// Unix filter (SIGPIPE), never with a panic.
#[test]
#[cfg(unix)]
fn a_closed_stdout_is_not_a_panic() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let dir = scratch_dir("sigpipe");
    write_module(&dir, "accept.wasm", &responding(r#"{"accepted":true}"#));
    std::fs::write(dir.join("pod.json"), pod_request().to_string()).unwrap();
    // Far more output than a pipe buffers.
    let cases: String = (0..3000)
        .map(|i| format!("  - {{ name: case {i:04} with a long enough name to fill the pipe quickly, request: pod.json, expect: {{ allowed: true }} }}\n"))
        .collect();
    std::fs::write(
        dir.join("suite.yaml"),
        format!("module: accept.wasm\ncases:\n{cases}"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kwhost"))
        .args(["test", dir.join("suite.yaml").to_str().unwrap()])
        .env("KWHOST_CACHE_DIR", dir.join("cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("ok "), "{first}");
    // The reader is gone: the next writes hit a closed pipe.
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        out.status.signal(),
        Some(libc_sigpipe()),
        "{:?}",
        out.status
    );
}

fn libc_sigpipe() -> i32 {
    13
}
