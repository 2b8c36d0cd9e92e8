//! `kwhost generate-key-pair`, `sign` and `verify` where no registry is needed: passphrases,
//! key files, configs that are refused before anything is fetched. The registry side is
//! tests/scripts/check-signing.py, run by the registry round trip of `make test`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn kwhost(args: &[&str], dir: &Path, password: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kwhost"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("COSIGN_PASSWORD")
        .env("KWHOST_CACHE_DIR", dir.join("cache"))
        .stdin(Stdio::null());
    if let Some(password) = password {
        command.env("COSIGN_PASSWORD", password);
    }
    command.output().expect("kwhost runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kwhost-signing-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn key_pairs_need_a_passphrase_and_never_show_it() {
    let dir = scratch("keys");
    let out = kwhost(&["generate-key-pair"], &dir, None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("COSIGN_PASSWORD"), "{}", text(&out));
    assert!(!dir.join("cosign.key").exists());

    let secret = "pass-phrase-never-printed";
    let out = kwhost(&["generate-key-pair"], &dir, Some(secret));
    assert!(out.status.success(), "{}", text(&out));
    let private = std::fs::read_to_string(dir.join("cosign.key")).unwrap();
    assert!(private.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    assert!(
        std::fs::read_to_string(dir.join("cosign.pub"))
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    let body: Vec<&str> = private
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let shown = text(&out);
    assert!(!shown.contains(secret) && body.iter().all(|l| !shown.contains(l)));

    // A wrong passphrase is refused before the registry is contacted, without echoing it.
    let out = kwhost(
        &["sign", "-k", "cosign.key", "registry://127.0.0.1:9/p:v1"],
        &dir,
        Some("wrong-guess"),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("wrong passphrase"), "{}", text(&out));
    assert!(!text(&out).contains("wrong-guess"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verification_that_asks_for_nothing_is_refused() {
    let dir = scratch("configs");
    let reference = "registry://127.0.0.1:9/p:v1";
    std::fs::write(dir.join("empty.yml"), "apiVersion: v1\nallOf: []\n").unwrap();
    std::fs::write(
        dir.join("keyless.yml"),
        "apiVersion: v1\nallOf:\n  - kind: githubAction\n    owner: org\n",
    )
    .unwrap();
    for (args, wanted) in [
        (vec!["verify", reference], "nothing to verify against"),
        (
            vec![
                "verify",
                "--verification-config-path",
                "empty.yml",
                reference,
            ],
            "no constraint",
        ),
        (
            vec![
                "verify",
                "--verification-config-path",
                "keyless.yml",
                reference,
            ],
            "only kind pubKey",
        ),
        (
            vec!["verify", "--verification-annotation", "a=b", reference],
            "needs a --verification-key",
        ),
        (
            vec![
                "verify",
                "--verification-annotation",
                "no-equals",
                reference,
            ],
            "KEY=VALUE",
        ),
    ] {
        let out = kwhost(&args, &dir, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(wanted), "{args:?}: {}", text(&out));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
