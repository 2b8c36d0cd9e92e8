//! Rule ids: one enum per policy, and the check that its README lists exactly those ids.

/// Declares a policy's rule-id enum: `as_str()` gives the id (the audit annotation key, quoted
/// in messages, what [`Report::add`](crate::report::Report::add) takes) and `ALL` lists every
/// rule.
///
/// ```
/// policy_common::rule_ids! {
///     /// The rules of an example policy.
///     pub enum Rule {
///         /// Images tagged `latest`.
///         LatestTag = "latest-tag",
///     }
/// }
/// assert_eq!(Rule::LatestTag.as_str(), "latest-tag");
/// ```
#[macro_export]
macro_rules! rule_ids {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $id:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// Every rule of the policy.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The rule id.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $id,)+
                }
            }
        }
    };
}

// Native only: the README tests run natively, and the wasm modules should not carry it.
#[cfg(not(target_arch = "wasm32"))]
/// The rule ids a README lists: the first column of its table headed `rule id` (any case), each
/// id once, in order. Used by each policy's README test.
pub fn readme_rule_ids(readme: &str) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    let mut in_table = false;
    for line in readme.lines().map(str::trim) {
        let Some(row) = line.strip_prefix('|') else {
            in_table = false;
            continue;
        };
        let first = row.split('|').next().unwrap_or("").trim();
        if first.eq_ignore_ascii_case("rule id") {
            in_table = true;
        } else if in_table && !first.starts_with('-') {
            let id = first.trim_matches('`');
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

#[cfg(not(target_arch = "wasm32"))]
/// Panics, naming the difference, unless `readme`'s rule table lists exactly `ids`.
pub fn assert_readme_lists(readme: &str, ids: &[&str]) {
    let listed = readme_rule_ids(readme);
    let missing: Vec<_> = ids.iter().filter(|id| !listed.contains(id)).collect();
    let unknown: Vec<_> = listed.iter().filter(|id| !ids.contains(id)).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README rule table: missing {missing:?}, not rules of the policy {unknown:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    rule_ids! {
        enum Example {
            One = "one",
            Two = "two-words",
        }
    }

    const README: &str = "# x\n\n| Rule id | What |\n|---|---|\n| `one` | a |\n| `two-words` | b |\n| `one` | again |\n\n| setting | type |\n| --- | --- |\n| `x` | y |\n";

    #[test]
    fn ids_and_readme_table() {
        assert_eq!(Example::Two.as_str(), "two-words");
        assert_eq!(readme_rule_ids(README), ["one", "two-words"]);
        let ids: Vec<_> = Example::ALL.iter().map(|r| r.as_str()).collect();
        assert_readme_lists(README, &ids);
        let missing = std::panic::catch_unwind(|| assert_readme_lists(README, &["one"]));
        assert!(missing.is_err());
    }
}
