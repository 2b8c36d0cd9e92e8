//! The reference parser against the distribution/reference grammar, and the pattern kinds.

use super::reference::*;

const H64: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const H128: &str = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

fn kind(e: &ImageRefError) -> &'static str {
    match e {
        ImageRefError::Empty => "Empty",
        ImageRefError::InvalidCharacter(_) => "InvalidCharacter",
        ImageRefError::InvalidRegistry(_) => "InvalidRegistry",
        ImageRefError::InvalidRepository(_) => "InvalidRepository",
        ImageRefError::UppercaseRepository => "UppercaseRepository",
        ImageRefError::InvalidTag(_) => "InvalidTag",
        ImageRefError::InvalidDigest(..) => "InvalidDigest",
        ImageRefError::TooLong => "TooLong",
        ImageRefError::AmbiguousIdentifier => "AmbiguousIdentifier",
    }
}

/// `Ok(expected Display)` or `Err(error kind)`. `{h64}`/`{h128}` stand for valid hex.
fn table() -> Vec<(String, Result<String, &'static str>)> {
    let raw: &[(&str, Result<&str, &str>)] = &[
        // Docker Hub shorthands.
        ("nginx", Ok("docker.io/library/nginx:latest")),
        ("nginx:1.25", Ok("docker.io/library/nginx:1.25")),
        ("library/nginx", Ok("docker.io/library/nginx:latest")),
        ("bitnami/redis", Ok("docker.io/bitnami/redis:latest")),
        (
            "bitnami/redis:7.2-debian",
            Ok("docker.io/bitnami/redis:7.2-debian"),
        ),
        ("docker.io/nginx", Ok("docker.io/library/nginx:latest")),
        (
            "docker.io/library/nginx",
            Ok("docker.io/library/nginx:latest"),
        ),
        (
            "index.docker.io/nginx",
            Ok("docker.io/library/nginx:latest"),
        ),
        ("INDEX.DOCKER.IO/nginx:1", Ok("docker.io/library/nginx:1")),
        (
            "docker.io/bitnami/redis",
            Ok("docker.io/bitnami/redis:latest"),
        ),
        ("a/b/c/d", Ok("docker.io/a/b/c/d:latest")),
        // Other registries, case of the host.
        ("GHCR.IO/org/app", Ok("ghcr.io/org/app:latest")),
        ("ghcr.io/org/app:v1.2.3", Ok("ghcr.io/org/app:v1.2.3")),
        ("quay.io/app", Ok("quay.io/app:latest")),
        (
            "Registry.Corp.Example/team/app",
            Ok("registry.corp.example/team/app:latest"),
        ),
        (
            "registry-1.docker.io/library/nginx",
            Ok("registry-1.docker.io/library/nginx:latest"),
        ),
        ("10.0.0.1/app", Ok("10.0.0.1/app:latest")),
        // Ports, localhost, IPv6.
        ("localhost/app", Ok("localhost/app:latest")),
        ("LOCALHOST/app", Ok("localhost/app:latest")),
        ("localhost:5000/app", Ok("localhost:5000/app:latest")),
        ("localhost:5000/app:dev", Ok("localhost:5000/app:dev")),
        ("localhost:05000/app", Ok("localhost:5000/app:latest")),
        (
            "registry.corp.example:443/a/b:1",
            Ok("registry.corp.example:443/a/b:1"),
        ),
        ("10.0.0.1:5000/app", Ok("10.0.0.1:5000/app:latest")),
        ("[::1]:5000/app", Ok("[::1]:5000/app:latest")),
        ("[::1]/app:1", Ok("[::1]/app:1")),
        ("[FE80::1]:5000/app", Ok("[fe80::1]:5000/app:latest")),
        ("localhost:5000", Ok("docker.io/library/localhost:5000")),
        // Tags.
        ("nginx:latest", Ok("docker.io/library/nginx:latest")),
        ("nginx:_x", Ok("docker.io/library/nginx:_x")),
        ("nginx:V1.0-RC_1", Ok("docker.io/library/nginx:V1.0-RC_1")),
        // Digests.
        (
            "nginx@sha256:{h64}",
            Ok("docker.io/library/nginx@sha256:{h64}"),
        ),
        (
            "nginx:1.25@sha256:{h64}",
            Ok("docker.io/library/nginx:1.25@sha256:{h64}"),
        ),
        (
            "ghcr.io/org/app@sha512:{h128}",
            Ok("ghcr.io/org/app@sha512:{h128}"),
        ),
        (
            "localhost:5000/app:v1@sha256:{h64}",
            Ok("localhost:5000/app:v1@sha256:{h64}"),
        ),
        // Path component separators.
        ("a.b/c", Ok("a.b/c:latest")),
        ("my_org/my__app", Ok("docker.io/my_org/my__app:latest")),
        ("my-org/my---app", Ok("docker.io/my-org/my---app:latest")),
        ("org/app.v2", Ok("docker.io/org/app.v2:latest")),
        // Errors: empty, characters, schemes.
        ("", Err("Empty")),
        (" nginx", Err("InvalidCharacter")),
        ("nginx ", Err("InvalidCharacter")),
        ("ngi nx", Err("InvalidCharacter")),
        ("nginx\n", Err("InvalidCharacter")),
        ("nginx:1\t", Err("InvalidCharacter")),
        ("ngïnx", Err("InvalidCharacter")),
        ("docker.io/ｎginx", Err("InvalidCharacter")),
        ("https://ghcr.io/org/app", Err("InvalidRegistry")),
        ("http://localhost:5000/app", Err("InvalidRegistry")),
        ("{h64}", Err("AmbiguousIdentifier")),
        // Errors: registry.
        ("ghcr.io:/app", Err("InvalidRegistry")),
        ("ghcr.io:abc/app", Err("InvalidRegistry")),
        ("ghcr.io:0/app", Err("InvalidRegistry")),
        ("ghcr.io:65536/app", Err("InvalidRegistry")),
        ("-bad.io/app", Err("InvalidRegistry")),
        ("bad-.io/app", Err("InvalidRegistry")),
        ("bad..io/app", Err("InvalidRegistry")),
        (".io/app", Err("InvalidRegistry")),
        ("under_score.io/app", Err("InvalidRegistry")),
        ("[::1/app", Err("InvalidRegistry")),
        ("[]:5000/app", Err("InvalidRegistry")),
        ("[::g]/app", Err("InvalidRegistry")),
        ("[::1]x/app", Err("InvalidRegistry")),
        // Errors: repository.
        ("Nginx", Err("UppercaseRepository")),
        ("Bitnami/redis", Err("UppercaseRepository")),
        ("ghcr.io/Org/app", Err("UppercaseRepository")),
        ("docker.io//nginx", Err("InvalidRepository")),
        ("org//app", Err("InvalidRepository")),
        ("/nginx", Err("InvalidRepository")),
        ("nginx/", Err("InvalidRepository")),
        ("ghcr.io/", Err("InvalidRepository")),
        ("ghcr.io/org/", Err("InvalidRepository")),
        ("-nginx", Err("InvalidRepository")),
        ("nginx-", Err("InvalidRepository")),
        ("ngi..nx", Err("InvalidRepository")),
        ("ngi___nx", Err("InvalidRepository")),
        ("ngi._nx", Err("InvalidRepository")),
        ("org/.app", Err("InvalidRepository")),
        ("nginx:1.0:2", Err("InvalidRepository")),
        ("[::1]:5000", Err("InvalidRepository")),
        // Errors: tag.
        ("nginx:", Err("InvalidTag")),
        ("nginx:.1", Err("InvalidTag")),
        ("nginx:-1", Err("InvalidTag")),
        ("nginx:a+b", Err("InvalidTag")),
        ("localhost:5000/app:", Err("InvalidTag")),
        ("nginx:@sha256:{h64}", Err("InvalidTag")),
        // Errors: digest.
        ("nginx@", Err("InvalidDigest")),
        ("nginx:1@", Err("InvalidDigest")),
        ("nginx@sha256", Err("InvalidDigest")),
        ("nginx@sha256:", Err("InvalidDigest")),
        ("nginx@:{h64}", Err("InvalidDigest")),
        ("nginx@sha256:abc123", Err("InvalidDigest")),
        ("nginx@sha256:{h64}0", Err("InvalidDigest")),
        ("nginx@sha256:{H64}", Err("InvalidDigest")),
        ("nginx@sha512:{h64}", Err("InvalidDigest")),
        ("nginx@sha256:{h128}", Err("InvalidDigest")),
        (
            "nginx@md5:d41d8cd98f00b204e9800998ecf8427e",
            Err("InvalidDigest"),
        ),
        ("nginx@sha384:{h64}", Err("InvalidDigest")),
        ("nginx@SHA256:{h64}", Err("InvalidDigest")),
        ("nginx@sha256+b64u:{h64}", Err("InvalidDigest")),
        ("nginx@sha256..x:{h64}", Err("InvalidDigest")),
        ("nginx@sha256:{h64}@sha256:{h64}", Err("InvalidDigest")),
        ("nginx@sha256:{h64}:1", Err("InvalidDigest")),
        ("@sha256:{h64}", Err("InvalidRepository")),
        ("nginx@latest", Err("InvalidDigest")),
        // Errors: length.
        // docker.io/library/ is 18 bytes: 237 more make exactly 255.
        ("{a237}", Ok("docker.io/library/{a237}:latest")),
        ("{a238}", Err("TooLong")),
        ("{a256}", Err("TooLong")),
        ("ghcr.io/{a247}", Ok("ghcr.io/{a247}:latest")),
        ("ghcr.io/{a248}", Err("TooLong")),
        ("{a1000}", Err("TooLong")),
        ("ghcr.io/{a248}:{t128}", Err("TooLong")),
        (
            "ghcr.io/{a246}:{t128}@sha512:{h128}",
            Ok("ghcr.io/{a246}:{t128}@sha512:{h128}"),
        ),
        ("index.docker.io/x/{a243}", Ok("docker.io/x/{a243}:latest")),
        ("nginx:{t129}", Err("InvalidTag")),
    ];
    let expand = |s: &str| {
        s.replace("{h64}", H64)
            .replace("{H64}", &H64.to_ascii_uppercase())
            .replace("{h128}", H128)
            .replace("{a1000}", &"a".repeat(1000))
            .replace("{a256}", &"a".repeat(256))
            .replace("{a248}", &"a".repeat(248))
            .replace("{a247}", &"a".repeat(247))
            .replace("{a246}", &"a".repeat(246))
            .replace("{a238}", &"a".repeat(238))
            .replace("{a237}", &"a".repeat(237))
            .replace("{a243}", &"a".repeat(243))
            .replace("{t128}", &"t".repeat(128))
            .replace("{t129}", &"t".repeat(129))
    };
    raw.iter()
        .map(|(i, e)| (expand(i), e.map(expand)))
        .collect()
}

#[test]
fn reference_table() {
    let table = table();
    assert!(table.len() >= 60, "table has {} entries", table.len());
    let mut failures = Vec::new();
    for (input, expected) in &table {
        let got = ImageRef::parse(input);
        let got = got.as_ref().map(|r| r.to_string()).map_err(kind);
        if got.as_ref().map_err(|e| *e) != expected.as_ref().map_err(|e| *e) {
            failures.push(format!("{input:?}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn normalised_output_reparses_to_itself() {
    for (input, expected) in table() {
        if expected.is_err() {
            continue;
        }
        let first = ImageRef::parse(&input).unwrap();
        let again = ImageRef::parse(&first.to_string()).unwrap();
        assert_eq!(first.to_string(), again.to_string(), "{input}");
        assert_eq!(first.name(), again.name(), "{input}");
    }
}

#[test]
fn accessors() {
    let r = ImageRef::parse("nginx").unwrap();
    assert_eq!(r.registry(), "docker.io");
    assert_eq!(r.repository(), "library/nginx");
    assert_eq!(r.tag(), None);
    assert_eq!(r.digest(), None);
    assert_eq!(r.name(), "docker.io/library/nginx");
    assert_eq!(r.effective_tag(), Some("latest"));
    assert!(!r.is_pinned());

    let r = ImageRef::parse(&format!("localhost:5000/a/b:v1@sha256:{H64}")).unwrap();
    assert_eq!(r.registry(), "localhost:5000");
    assert_eq!(r.repository(), "a/b");
    assert_eq!(r.tag(), Some("v1"));
    assert_eq!(r.effective_tag(), Some("v1"));
    let d = r.digest().unwrap();
    assert_eq!(d.algorithm, "sha256");
    assert_eq!(d.hex, H64);
    assert_eq!(d.to_string(), format!("sha256:{H64}"));
    assert!(r.is_pinned());
    assert_eq!(r.name(), "localhost:5000/a/b");
}

#[test]
fn digest_only_has_no_effective_tag() {
    let r = ImageRef::parse(&format!("nginx@sha256:{H64}")).unwrap();
    assert_eq!(r.tag(), None);
    assert_eq!(r.effective_tag(), None);
    assert!(r.is_pinned());
}

#[test]
fn explicit_latest_equals_implicit_latest_in_display_only() {
    let implicit = ImageRef::parse("nginx").unwrap();
    let explicit = ImageRef::parse("nginx:latest").unwrap();
    assert_eq!(implicit.to_string(), explicit.to_string());
    assert_eq!(implicit.effective_tag(), explicit.effective_tag());
    assert_eq!(implicit.tag(), None);
    assert_eq!(explicit.tag(), Some("latest"));
}

#[test]
fn with_digest_keeps_tag() {
    let d: Digest = format!("sha512:{H128}").parse().unwrap();
    let r = ImageRef::parse("ghcr.io/org/app:v2")
        .unwrap()
        .with_digest(&d);
    assert_eq!(r.tag(), Some("v2"));
    assert_eq!(r.digest(), Some(&d));
    assert_eq!(r.to_string(), format!("ghcr.io/org/app:v2@sha512:{H128}"));

    let other: Digest = format!("sha256:{H64}").parse().unwrap();
    let r2 = r.with_digest(&other);
    assert_eq!(r2.digest(), Some(&other));
    let untagged = ImageRef::parse("nginx").unwrap().with_digest(&other);
    assert_eq!(
        untagged.to_string(),
        format!("docker.io/library/nginx@sha256:{H64}")
    );
}

#[test]
fn from_str_matches_parse() {
    let a: ImageRef = "bitnami/redis:7".parse().unwrap();
    assert_eq!(a, ImageRef::parse("bitnami/redis:7").unwrap());
    assert!("sha256:abc".parse::<Digest>().is_err());
}

#[test]
fn error_messages_quote_the_offending_part() {
    let msg = |s: &str| ImageRef::parse(s).unwrap_err().to_string();
    assert!(msg("ghcr.io:abc/app").contains("\"ghcr.io:abc\""));
    assert!(msg("org//app").contains("\"org//app\""));
    assert!(msg("nginx:.bad").contains("\".bad\""));
    assert!(msg("nginx@md5:abc").contains("\"md5:abc\""));
    assert!(msg("nginx@md5:abc").contains("unsupported digest algorithm"));
    assert!(msg("nginx@sha256:ABC").contains("lower-case hex"));
    assert!(msg("Nginx").contains("lower-case"));
    assert!(msg("nginx\u{3000}").contains("'\\u{3000}'"));
    assert!(msg("").contains("empty"));
    assert!(msg(&"a".repeat(300)).contains("255"));
    let e: Box<dyn std::error::Error> = Box::new(ImageRefError::Empty);
    assert!(!e.to_string().is_empty());
}

#[test]
fn never_panics_on_odd_input() {
    let samples = [
        "@",
        ":",
        "/",
        "//",
        "@@",
        "::",
        "[",
        "]",
        "[]",
        "[:]",
        "a@b@c",
        ":@",
        "/:@",
        "a:/b",
        "a/:b",
        "[::1]:",
        "[::1]:/a",
        "x:99999999999999999999/a",
        "é",
        "\u{0}",
        "a/b@",
        "a/b:",
        "localhost:",
        "localhost:/",
        "a.b:c:d/e",
        "[[::1]]/a",
    ];
    for s in samples {
        let _ = ImageRef::parse(s);
    }
    // All prefixes of a long valid reference (boundaries inside multi-byte chars included).
    let long = format!("régistry.io:5000/org/app:v1@sha256:{H64}");
    for (i, _) in long.char_indices() {
        let _ = ImageRef::parse(&long[..i]);
        let _ = ImageRef::parse(&long[i..]);
    }
}

mod patterns {
    use super::super::{ImagePattern, RegistryPattern, RepositoryPrefix, normalise_leniently};
    use super::ImageRef;

    fn image(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    fn host(s: &str) -> RegistryPattern {
        RegistryPattern::try_from(s.to_owned()).unwrap()
    }

    fn pattern(s: &str) -> ImagePattern {
        ImagePattern::try_from(s.to_owned()).unwrap()
    }

    fn prefix(s: &str) -> RepositoryPrefix {
        RepositoryPrefix::try_from(s.to_owned()).unwrap()
    }

    #[test]
    fn registry_patterns_are_normalised_and_never_prefixes() {
        assert_eq!(host("GHCR.IO").to_string(), "ghcr.io");
        assert_eq!(host("index.docker.io").to_string(), "docker.io");
        assert_eq!(host("localhost:05000").to_string(), "localhost:5000");
        assert!(host("registry.corp.example").matches("registry.corp.example"));
        assert!(!host("registry.corp.example").matches("registry.corp.example.evil.io"));
        assert!(!host("registry.corp.example").matches("registry.corp.example:5000"));
        assert!(host("*.corp.example").matches("eu.registry.corp.example"));
        assert!(!host("*.corp.example").matches("corp.example"));
        assert!(!host("*.corp.example").matches("evilcorp.example"));
        assert!(host("docker.io").matches(image("nginx").registry()));
        for bad in [
            "https://ghcr.io",
            "corp",
            "reg.*.example",
            "*",
            "ghcr.io/org",
            "",
        ] {
            assert!(RegistryPattern::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_patterns_use_segment_boundaries() {
        assert_eq!(pattern("nginx").to_string(), "docker.io/library/nginx");
        assert_eq!(
            pattern("docker.io/nginx").to_string(),
            "docker.io/library/nginx"
        );
        assert_eq!(pattern("bitnami/*").to_string(), "docker.io/bitnami/*");
        assert!(pattern("nginx").matches(&image("nginx:1.25")));
        assert!(pattern("nginx").matches(&image(&format!(
            "index.docker.io/library/nginx@sha256:{}",
            "a".repeat(64)
        ))));
        assert!(!pattern("ubuntu").matches(&image("ubuntumalicious")));
        assert!(!pattern("docker.io/mycompany/*").matches(&image("mycompanyevil/app")));
        assert!(pattern("ghcr.io/org/*").matches(&image("ghcr.io/org/app")));
        assert!(!pattern("ghcr.io/org/*").matches(&image("ghcr.io/org/team/app")));
        assert!(pattern("ghcr.io/org/**").matches(&image("ghcr.io/org/team/app")));
        assert!(pattern("*.corp.example/**").matches(&image("eu.corp.example/a/b:1")));
        assert!(!pattern("*.corp.example/**").matches(&image("corp.example.evil.io/a/b:1")));
        assert!(pattern("istio/proxyv2:1.2*").matches(&image("istio/proxyv2:1.22.0")));
        assert!(!pattern("istio/proxyv2:1.2*").matches(&image("istio/proxyv2:1.30.0")));
        assert!(pattern("nginx*").matches(&image("nginx-sidecar:1")));
    }

    #[test]
    fn a_trailing_slash_names_an_organisation_everywhere() {
        let org = pattern("docker.io/myorg/");
        assert_eq!(org.to_string(), "docker.io/myorg/**");
        assert_eq!(pattern("myorg/"), org);
        assert_eq!(pattern("index.docker.io/myorg/"), org);
        assert!(org.matches(&image("myorg/app:1")));
        assert!(org.matches(&image("docker.io/myorg/team/app")));
        assert!(!org.matches(&image("myorgevil/app")));
        assert!(!org.matches(&image("myorg")), "docker.io/library/myorg");
        assert!(!org.matches(&image("ghcr.io/myorg/app")));
        // Without the slash a one-component Docker Hub name is an official image.
        assert!(pattern("docker.io/nginx").matches(&image("library/nginx")));
        assert!(!pattern("docker.io/myorg").matches(&image("myorg/app")));

        let exempt = prefix("docker.io/myorg/");
        assert_eq!(exempt.to_string(), "docker.io/myorg/");
        assert_eq!(prefix("myorg/"), exempt);
        assert!(exempt.matches(&image("myorg/app:1")));
        assert!(exempt.matches(&image("docker.io/myorg/team/app")));
        assert!(!exempt.matches(&image("myorgevil/app")));
        assert!(!exempt.matches(&image("myorg")));
        assert_eq!(
            prefix("docker.io/nginx").to_string(),
            "docker.io/library/nginx"
        );
        assert_eq!(prefix("ghcr.io/org/").to_string(), "ghcr.io/org/");

        for bad in ["/", "docker.io/", "ghcr.io/", "localhost:5000/", "MyOrg/"] {
            assert!(ImagePattern::try_from(bad.to_owned()).is_err(), "{bad}");
            assert!(RepositoryPrefix::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_patterns_with_tags_and_digests() {
        assert!(pattern("nginx:1.25").matches(&image("nginx:1.25")));
        assert!(!pattern("nginx:1.25").matches(&image("nginx:1.26")));
        assert!(
            pattern("nginx:latest").matches(&image("nginx")),
            "implicit latest"
        );
        assert!(pattern("nginx:1.*").matches(&image("nginx:1.27-alpine")));
        let d = format!("sha256:{}", "b".repeat(64));
        assert!(
            !pattern("nginx:1.25").matches(&image(&format!("nginx@{d}"))),
            "no tag"
        );
        assert!(pattern(&format!("nginx@{d}")).matches(&image(&format!("nginx:x@{d}"))));
        assert!(!pattern(&format!("nginx@{d}")).matches(&image("nginx:x")));
        assert!(pattern("localhost:5000/app").matches(&image("LOCALHOST:5000/app:1")));
        for bad in [
            "Nginx",
            "ghcr.io//x",
            "https://ghcr.io/x",
            "nginx:",
            "nginx@sha256:abc",
            "x:-1",
            "",
            "ghcr.io/a b*",
        ] {
            assert!(ImagePattern::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_match_on_boundaries() {
        assert_eq!(prefix("ghcr.io").to_string(), "ghcr.io");
        assert_eq!(prefix("nginx").to_string(), "docker.io/library/nginx");
        assert_eq!(prefix("localhost:5000").to_string(), "localhost:5000");
        assert!(prefix("ghcr.io/org").matches(&image("ghcr.io/org/app:1")));
        assert!(prefix("ghcr.io/org").matches(&image("ghcr.io/org:1")));
        assert!(!prefix("ghcr.io/org").matches(&image("ghcr.io/organisation/app")));
        assert!(prefix("ghcr.io").matches(&image("ghcr.io/x")));
        assert!(!prefix("ghcr.io").matches(&image("ghcr.io.evil.io/x")));
        assert!(prefix("nginx").matches(&image("nginx")));
        assert!(!prefix("ubuntu").matches(&image("ubuntumalicious")));
        assert!(prefix("nginx:1.25").matches(&image("nginx:1.25")));
        assert!(!prefix("nginx:1.25").matches(&image("nginx:1.25.1")));
        assert!(RepositoryPrefix::try_from("ghcr.io/*".to_owned()).is_err());
    }

    #[test]
    fn lenient_normalisation_keeps_what_the_strict_parser_refuses() {
        assert_eq!(
            normalise_leniently("nginx"),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(
            normalise_leniently(" index.docker.io/nginx:1 "),
            "docker.io/library/nginx:1"
        );
        // Upper case and an unknown digest algorithm: refused by the parser, kept as written.
        assert_eq!(
            normalise_leniently("Registry.Example/Org/App@md5:abc"),
            "registry.example/Org/App@md5:abc"
        );
        assert_eq!(
            normalise_leniently("localhost:5000/App"),
            "localhost:5000/App:latest"
        );
        assert_eq!(
            normalise_leniently("Busybox"),
            "docker.io/library/Busybox:latest"
        );
    }
}

mod world_keys {
    use super::super::normalise_leniently as normalise;

    #[test]
    fn docker_defaults() {
        assert_eq!(normalise("nginx:1.25"), "docker.io/library/nginx:1.25");
        assert_eq!(
            normalise("docker.io/library/nginx:1.25"),
            "docker.io/library/nginx:1.25"
        );
        assert_eq!(normalise("bitnami/redis"), "docker.io/bitnami/redis:latest");
        assert_eq!(normalise("ghcr.io/org/app:1.0"), "ghcr.io/org/app:1.0");
        assert_eq!(
            normalise("ghcr.io/org/app@sha256:ab"),
            "ghcr.io/org/app@sha256:ab"
        );
        assert_eq!(
            normalise("ghcr.io/org/app:1@sha256:ab"),
            "ghcr.io/org/app:1@sha256:ab"
        );
    }
}
