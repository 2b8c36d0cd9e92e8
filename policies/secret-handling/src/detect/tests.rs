use super::names::is_float;
use super::*;

const CFG: Config<'static> = Config {
    disabled: &[],
    names: SensitiveNames::BUILT_IN,
    any_value: false,
    min_length: 8,
    min_entropy: 3.0,
};

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let n = chunk.iter().fold(0u32, |a, &b| a << 8 | b as u32) << (8 * (3 - chunk.len()));
        for k in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

fn id(name: &str, value: &str) -> Option<&'static str> {
    scan(name, value, &CFG).map(|d| d.id)
}

pub const POSITIVES: [(&str, &str, &str); 17] = [
    ("X", "AKIAIOSFODNN7EXAMPLE", "aws-access-key-id"),
    ("X", "id=ASIAY34FZKBOKMUTVV7A;", "aws-access-key-id"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws-secret-access-key",
    ),
    (
        "X",
        "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
        "gcp-api-key",
    ),
    (
        "SA",
        r#"{"type": "service_account", "private_key_id": "abc", "private_key": "..."}"#,
        "gcp-service-account",
    ),
    (
        "X",
        "DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=LS+2Y1nbmxHI7FauVMrmdbXVpiC+OnBC5BfJGA02BitWmtUmoxD9IRBpjS8G3V0iiG8+cxhA83UxjICWXmdbvQ==;",
        "azure-storage-key",
    ),
    (
        "X",
        "ghp_R4nd0mT0k3nV4lu3W1thThirtySixChars12",
        "github-token",
    ),
    ("X", "glpat-xK9vTq2LmN8pRs4WyZ1a", "gitlab-token"),
    (
        "X",
        "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
        "slack-token",
    ),
    (
        "X",
        "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "slack-webhook",
    ),
    ("X", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
    (
        "X",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "jwt",
    ),
    (
        "X",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----",
        "private-key",
    ),
    ("X", "-----BEGIN OPENSSH PRIVATE KEY-----", "private-key"),
    ("X", "-----BEGIN PGP PRIVATE KEY BLOCK-----", "private-key"),
    (
        "DATABASE_URL",
        "postgres://app:Xk29vLpq7@db.internal:5432/app",
        "url-credentials",
    ),
    ("DB_PASSWORD", "Tr0ub4dor&3xq", "sensitive-name"),
];

#[test]
fn every_detector_fires() {
    for (name, value, want) in POSITIVES {
        assert_eq!(id(name, value), Some(want), "{name}");
    }
    assert_eq!(
        id("X", "-----BEGIN EC PRIVATE KEY-----"),
        Some("private-key")
    );
    assert_eq!(id("X", "-----BEGIN PRIVATE KEY-----"), Some("private-key"));
    assert_eq!(id("API_KEY", "q8Zt3LmW9xVb2"), Some("sensitive-name"));
    assert_eq!(id("dbPassword", "q8Zt3LmW9xVb2"), Some("sensitive-name"));
}

/// The shortest values each format can take still reach their detector: the length gates of
/// `scan_tokens` are no stricter than the formats.
#[test]
fn shortest_values_still_fire() {
    let shortest = [
        ("X", "-----BEGIN PRIVATE KEY-----", "private-key"),
        ("X", "AKIAIOSFODNN7EXAMPLE", "aws-access-key-id"),
        ("X", "sk_live_4eC39HqLyjWDarjt", "stripe-key"),
        ("X", "gldt-xK9vTq2LmN8pRs4WyZ1a", "gitlab-token"),
        ("X", "xoxb-1234567890-098765432", "slack-token"),
        ("X", "ab://:Xk2@h", "url-credentials"),
        ("X", "eyJhbGciOi.ab.", "jwt"),
    ];
    for (name, value, want) in shortest {
        assert_eq!(
            id(name, value),
            Some(want),
            "{value} ({} bytes)",
            value.len()
        );
    }
}

#[test]
fn negatives_and_false_positive_guards() {
    for (name, value) in [
        ("X", "AKIAAAAAAAAAAAAAAAAA"),
        ("X", "AKIAIOSFODNN7EXAMPLE1"),
        ("X", "MYAKIAIOSFODNN7EXAMPLE"),
        ("NAME", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("X", "AIzaShort"),
        ("X", "ghp_short"),
        ("X", "xoxb-short"),
        ("X", "sk_live_"),
        ("X", "eyJhbGciOiJIUzI1NiJ9"),
        ("X", "eyJub3RhbGciOjF9.eyJzdWIiOiIxIn0.c2ln"),
        ("X", "-----BEGIN CERTIFICATE-----"),
        ("X", "-----BEGIN PUBLIC KEY-----"),
        ("DATABASE_URL", "postgres://app@db:5432/app"),
        ("DATABASE_URL", "postgres://app:${DB_PASS}@db/app"),
        ("DATABASE_URL", "https://example.com:8443/path"),
        ("DB_PASSWORD", "changeme"),
        ("DB_PASSWORD", "${DB_PASSWORD}"),
        ("DB_PASSWORD", ""),
        ("DB_PASSWORD", "short"),
        ("DB_PASSWORD", "aaaaaaaaaaaa"),
        ("DB_PASSWORD_FILE", "Tr0ub4dor&3xq"),
        ("DB_PASSWORD", "/run/secrets/db-password"),
        ("TOKEN_TTL", "86400000000"),
        ("SECRET_NAME", "my-app-credentials"),
        ("LOG_LEVEL", "Tr0ub4dor&3xq"),
        ("API_TOKEN", "<your-token-here>"),
        ("API_TOKEN", "12345678901234"),
    ] {
        assert_eq!(id(name, value), None, "{name}={value}");
    }
}

#[test]
fn base64_of_a_secret_is_detected_once() {
    let d = scan("X", &b64("-----BEGIN RSA PRIVATE KEY-----\nabc"), &CFG).unwrap();
    assert_eq!(
        d,
        Detection {
            id: "private-key",
            encoded: true
        }
    );
    let url_safe = b64("token ghp_R4nd0mT0k3nV4lu3W1thThirtySixChars12 ?>")
        .replace('+', "-")
        .replace('/', "_");
    assert_eq!(scan("X", &url_safe, &CFG).unwrap().id, "github-token");
    // base64 of base64 is not followed.
    assert_eq!(id("X", &b64(&b64("AKIAIOSFODNN7EXAMPLE"))), None);
    // Harmless base64 text passes.
    assert_eq!(id("X", &b64("hello world, this is just a config")), None);
}

#[test]
fn disabled_detectors_are_skipped() {
    let disabled = vec!["aws-access-key-id".to_string()];
    let cfg = Config {
        disabled: &disabled,
        ..CFG
    };
    assert!(scan("X", "AKIAIOSFODNN7EXAMPLE", &cfg).is_none());
}

#[test]
fn is_float_agrees_with_the_float_parser() {
    for v in [
        "",
        "+",
        "-",
        ".",
        "e5",
        "1e",
        "1e+",
        "1.5e-3",
        "1.",
        ".5",
        "-.5e2",
        "1_0",
        "0x10",
        "inf",
        "-Infinity",
        "NaN",
        "nAn",
        "+inf",
        "infinit",
        "1e5.0",
        "1..2",
        "12345678901234",
        "1.2.3",
        "١",
        "1 ",
        " 1",
        "1E+308",
        "9e9999",
        "--1",
        "+-1",
        "e",
        "E10",
        "00.00",
    ] {
        assert_eq!(is_float(v), v.parse::<f64>().is_ok(), "{v:?}");
    }
}

#[test]
fn helpers() {
    assert_eq!(decode_base64(b"aGVsbG8=").unwrap(), b"hello");
    assert_eq!(decode_base64(b"aGVsbG8").unwrap(), b"hello");
    assert!(decode_base64(b"a").is_none());
    assert!(decode_base64(b"a*bc").is_none());
    assert!(entropy("aaaa") < 0.01);
    assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    assert!(SensitiveNames::BUILT_IN.matches("--db-password"));
    assert!(SensitiveNames::BUILT_IN.matches("clientSecret"));
    assert!(SensitiveNames::BUILT_IN.matches("STRIPE_API_KEY"));
    assert!(!SensitiveNames::BUILT_IN.matches("KEYCLOAK_REALM"));
    assert!(!SensitiveNames::BUILT_IN.matches("PUBLIC_KEY_PATH"));
    assert!(!SensitiveNames::BUILT_IN.matches(""));
}

#[test]
fn sensitive_names_can_be_added_replaced_and_flag_any_value() {
    let extra = vec!["bearer".to_string(), "*_PIN".to_string()];
    let added = Config {
        names: SensitiveNames {
            built_in: true,
            extra: &extra,
        },
        ..CFG
    };
    // A user word as a case-insensitive substring, a glob over the whole name.
    assert_eq!(
        id("AUTH_BEARER", "q8Zr3xLm2Vt9"),
        None,
        "not a built-in word"
    );
    assert_eq!(
        id_with(&added, "AUTH_BEARER", "q8Zr3xLm2Vt9"),
        Some("sensitive-name")
    );
    assert_eq!(
        id_with(&added, "card_pin", "q8Zr3xLm2Vt9"),
        Some("sensitive-name")
    );
    assert_eq!(id_with(&added, "PIN_CODE", "q8Zr3xLm2Vt9"), None);
    // The descriptive-suffix guard holds for user names too.
    assert_eq!(id_with(&added, "BEARER_FILE", "q8Zr3xLm2Vt9"), None);
    let replaced = Config {
        names: SensitiveNames {
            built_in: false,
            extra: &extra,
        },
        ..CFG
    };
    assert_eq!(id_with(&replaced, "DB_PASSWORD", "q8Zr3xLm2Vt9"), None);
    assert_eq!(
        id_with(&replaced, "X_BEARER", "q8Zr3xLm2Vt9"),
        Some("sensitive-name")
    );
    let any = Config {
        any_value: true,
        ..CFG
    };
    assert_eq!(id("DB_PASSWORD", "hunter2"), None, "short and low-entropy");
    assert_eq!(
        id_with(&any, "DB_PASSWORD", "hunter2"),
        Some("sensitive-name")
    );
    assert_eq!(
        id_with(&any, "DB_PASSWORD", "changeme"),
        Some("sensitive-name")
    );
    for guarded in ["", "  ", "/run/secrets/db", "$(DB_PASSWORD_FROM_SECRET)"] {
        assert_eq!(id_with(&any, "DB_PASSWORD", guarded), None, "{guarded:?}");
    }
    assert_eq!(id_with(&any, "DB_PASSWORD_FILE", "hunter2"), None);
    assert_eq!(id_with(&any, "LOG_LEVEL", "info"), None);
}

fn id_with(cfg: &Config<'_>, name: &str, value: &str) -> Option<&'static str> {
    scan(name, value, cfg).map(|d| d.id)
}
