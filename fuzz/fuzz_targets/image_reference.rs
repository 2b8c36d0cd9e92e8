//! Image references and the patterns settings name them with (`policy_common::image`):
//! - nothing panics on any string;
//! - a parsed reference's `Display` re-parses to the same reference (same registry, repository,
//!   effective tag and digest; `nginx` shows as `…:latest`, so only the implicit tag becomes
//!   explicit) and shows the same again;
//! - a parsed pattern's `Display` re-parses to the same pattern (`ImagePattern`,
//!   `RepositoryPrefix`, `RegistryPattern`), both through `parse` and `try_from`;
//! - a string that is both a reference and a pattern (or a prefix other than a lone host)
//!   matches itself;
//! - `normalise_leniently` never panics and returns the strict form for a valid reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_common::image::{
    ImagePattern, ImageRef, RegistryPattern, RepositoryPrefix, normalise_leniently,
};

fn same_reference(a: &ImageRef, b: &ImageRef) -> bool {
    a.registry() == b.registry()
        && a.repository() == b.repository()
        && a.effective_tag() == b.effective_tag()
        && a.digest() == b.digest()
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    let reference = ImageRef::parse(s);
    if let Ok(r) = &reference {
        let shown = r.to_string();
        let again = ImageRef::parse(&shown)
            .unwrap_or_else(|e| panic!("{s:?} shows as {shown:?}, which does not parse: {e}"));
        assert!(
            same_reference(r, &again),
            "{s:?}: {r:?} shows as {shown:?}, read back as {again:?}"
        );
        assert_eq!(again.to_string(), shown, "{s:?}");
        assert_eq!(normalise_leniently(s.trim()), shown, "{s:?}");
    }
    let _ = normalise_leniently(s);

    let pattern = ImagePattern::parse(s);
    assert_eq!(pattern, ImagePattern::try_from(s.to_owned()), "{s:?}");
    if let Ok(p) = &pattern {
        let shown = p.to_string();
        let again = ImagePattern::parse(&shown).unwrap_or_else(|e| {
            panic!("pattern {s:?} shows as {shown:?}, which does not parse: {e}")
        });
        assert_eq!(&again, p, "pattern {s:?} shows as {shown:?}");
        if let Ok(r) = &reference {
            assert!(
                p.matches(r),
                "pattern {s:?} ({p}) does not match the reference {s:?} ({r})"
            );
        }
    }

    if let Ok(q) = RepositoryPrefix::try_from(s.to_owned()) {
        let shown = q.to_string();
        let again = RepositoryPrefix::try_from(shown.clone()).unwrap_or_else(|e| {
            panic!("prefix {s:?} shows as {shown:?}, which does not parse: {e}")
        });
        assert_eq!(again, q, "prefix {s:?} shows as {shown:?}");
        // A lone host (`ghcr.io`, `localhost:5000`) names a registry, while the same string as a
        // reference is a Docker Hub repository (`docker.io/library/ghcr.io`): no self-match.
        if let Ok(r) = &reference
            && shown.contains('/')
        {
            assert!(
                q.matches(r),
                "prefix {s:?} ({q}) does not match the reference {s:?} ({r})"
            );
        }
    }

    if let Ok(g) = RegistryPattern::try_from(s.to_owned()) {
        let shown = g.to_string();
        let again = RegistryPattern::try_from(shown.clone()).unwrap_or_else(|e| {
            panic!("registry {s:?} shows as {shown:?}, which does not parse: {e}")
        });
        assert_eq!(again, g, "registry {s:?} shows as {shown:?}");
        if let Ok(r) = &reference {
            let _ = g.matches(r.registry());
        }
    }
});
