//! Semantic-version tags, for `tags.allowSemver`.

/// A semantic version as a tag can spell it: `[v]MAJOR.MINOR.PATCH[-prerelease]` (tags cannot
/// hold semver's `+build`). Numbers have no leading zeros, as semver requires.
pub fn is_semver_tag(tag: &str) -> bool {
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let (core, pre) = match tag.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (tag, None),
    };
    let numeric = |n: &str| {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
    };
    let mut parts = core.split('.');
    let core_ok = (0..3).all(|_| parts.next().is_some_and(numeric)) && parts.next().is_none();
    let pre_ok = pre.is_none_or(|p| {
        p.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id))
        })
    });
    core_ok && pre_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_tags() {
        for ok in ["1.2.3", "v1.2.3", "0.0.0", "1.2.3-rc.1", "10.20.30-alpha-1"] {
            assert!(is_semver_tag(ok), "{ok}");
        }
        for bad in [
            "1.2",
            "01.2.3",
            "1.2.3.4",
            "latest",
            "v1",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3-a..b",
        ] {
            assert!(!is_semver_tag(bad), "{bad}");
        }
    }
}
