//! Pushes an annotated module to a real registry (Debian's `docker-registry`,
//! i.e. distribution) on a free loopback port, pulls it back and compares.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kwhost_artifact::oci::{self, RegistryAuth};
use kwhost_artifact::{Metadata, ProtocolVersion, annotate, read_metadata};

const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// Kills and reaps the registry on drop, including when an assertion fails.
struct RegistryGuard {
    child: Child,
    _dir: tempfile::TempDir,
    addr: String,
}

impl Drop for RegistryGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn answers_v2(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_millis(200))
    else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(format!("GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    buf[..n].starts_with(b"HTTP/1.") && String::from_utf8_lossy(&buf[..n]).contains(" 200")
}

fn start_registry() -> RegistryGuard {
    for attempt in 1..=3 {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        std::fs::create_dir(&storage).unwrap();
        let config = dir.path().join("config.yml");
        let addr = format!("127.0.0.1:{}", free_port());
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
                storage.display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot start docker-registry");
        let mut guard = RegistryGuard {
            child,
            _dir: dir,
            addr,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if answers_v2(&guard.addr) {
                return guard;
            }
            if let Ok(Some(status)) = guard.child.try_wait() {
                let log = std::fs::read_to_string(guard._dir.path().join("registry.log"))
                    .unwrap_or_default();
                eprintln!("attempt {attempt}: docker-registry exited ({status}):\n{log}");
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // `guard` is dropped here: the registry is killed before retrying.
    }
    panic!("docker-registry did not answer on /v2/ after 3 attempts");
}

fn tiny_module() -> Vec<u8> {
    use wasm_encoder::*;
    let mut m = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    m.section(&types);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    m.section(&funcs);
    let mut exports = ExportSection::new();
    exports.export("answer", ExportKind::Func, 0);
    m.section(&exports);
    let mut code = CodeSection::new();
    let mut f = Function::new([]);
    f.instructions().i32_const(42).end();
    code.function(&f);
    m.section(&code);
    m.finish()
}

#[test]
fn push_pull_roundtrip_against_real_registry() {
    if !Path::new(REGISTRY_BIN).exists() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "{REGISTRY_BIN} is missing in CI: install the docker-registry package (make setup)"
            );
        }
        eprintln!("SKIPPED: {REGISTRY_BIN} not installed (apt-get install docker-registry)");
        return;
    }
    let registry = start_registry();

    let metadata = Metadata::from_yaml_str(
        r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE"]
mutating: false
annotations:
  io.kubewarden.policy.title: roundtrip
  io.kubewarden.policy.version: 0.1.0
  io.kubewarden.policy.source: https://github.com/example/roundtrip
  io.kubewarden.policy.description: "Round trip "
"#,
    )
    .unwrap();
    let wasm = annotate(
        &tiny_module(),
        &metadata,
        Some("# Usage\nmulti-line"),
        ProtocolVersion::V1,
    )
    .unwrap();

    let auth = RegistryAuth::Anonymous;
    // Unannotated modules are refused before any network traffic.
    assert!(
        oci::push(
            &tiny_module(),
            &format!("{}/policies/raw:v0.1.0", registry.addr),
            &auth,
            true
        )
        .is_err()
    );

    let reference = format!("registry://{}/policies/roundtrip:v0.1.0", registry.addr);
    let immutable = oci::push(&wasm, &reference, &auth, true).expect("push");
    let prefix = format!("{}/policies/roundtrip@sha256:", registry.addr);
    assert!(immutable.starts_with(&prefix), "{immutable}");
    assert_eq!(immutable.len(), prefix.len() + 64, "{immutable}");

    // By tag and by the immutable digest reference.
    for r in [reference.as_str(), immutable.as_str()] {
        let pulled = oci::pull_artifact(r, &auth, true).expect("pull");
        assert_eq!(pulled.wasm, wasm, "pulled bytes differ for {r}");
        assert_eq!(pulled.config_media_type, oci::CONFIG_MEDIA_TYPE);
        assert_eq!(pulled.config, b"{}");
        assert_eq!(pulled.manifest.schema_version, 2);
        assert_eq!(pulled.manifest.config.media_type, oci::CONFIG_MEDIA_TYPE);
        assert_eq!(pulled.manifest.layers.len(), 1);
        assert_eq!(pulled.manifest.layers[0].media_type, oci::LAYER_MEDIA_TYPE);
        let ann = pulled.manifest.annotations.clone().unwrap();
        assert_eq!(ann["io.kubewarden.policy.title"], "roundtrip");
        assert_eq!(ann["io.kubewarden.policy.description"], "Round trip");
        assert_eq!(
            ann["org.opencontainers.image.source"],
            "https://github.com/example/roundtrip"
        );
        assert!(!ann.contains_key("io.kubewarden.policy.usage"));
        assert_eq!(
            Some(immutable.rsplit('@').next().unwrap().to_string()),
            pulled.digest
        );
        let m = read_metadata(&pulled.wasm).unwrap().unwrap();
        assert_eq!(m.protocol_version, Some(ProtocolVersion::V1));
    }
    assert_eq!(oci::pull(&reference, &auth, true).unwrap(), wasm);
    drop(registry);
}
