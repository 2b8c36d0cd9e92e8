//! Substring search for the hot paths. `str::find` and `str::match_indices` set up a Two-Way
//! searcher on every call, which costs more than the search itself on the short strings
//! (env values, args, names) a policy scans by the hundred per request; these compare the
//! first byte and then the rest, with nothing to set up.

/// Byte offsets of every occurrence of the ASCII `needle` in `haystack`, overlapping ones
/// included. Every offset is a char boundary (the needle starts with an ASCII byte); an empty
/// needle occurs nowhere.
pub fn occurrences<'a>(haystack: &'a str, needle: &'a str) -> Occurrences<'a> {
    debug_assert!(needle.is_ascii(), "needles are ASCII");
    Occurrences {
        haystack,
        needle: needle.as_bytes(),
        next: 0,
    }
}

/// The iterator of [`occurrences`]: one concrete type, so that every caller shares one `next`.
pub struct Occurrences<'a> {
    haystack: &'a str,
    needle: &'a [u8],
    /// Where the search goes on: always a char boundary (0, or just past an ASCII byte).
    next: usize,
}

impl Iterator for Occurrences<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let first = char::from(*self.needle.first()?);
        let bytes = self.haystack.as_bytes();
        loop {
            // A char pattern is searched with the standard library's memchr, a word at a
            // time: the long ConfigMap values are crossed quickly between candidates.
            let i = self.next + self.haystack.get(self.next..)?.find(first)?;
            self.next = i + 1;
            if bytes[i..].starts_with(self.needle) {
                return Some(i);
            }
        }
    }
}

/// Whether the ASCII `needle` occurs in `haystack`.
pub fn contains(haystack: &str, needle: &str) -> bool {
    occurrences(haystack, needle).next().is_some()
}

/// The first occurrence of the ASCII `needle` in `haystack`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    occurrences(haystack, needle).next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_every_occurrence() {
        assert_eq!(occurrences("xoxoxb-", "xox").collect::<Vec<_>>(), [0, 2]);
        assert_eq!(occurrences("é://a://", "://").collect::<Vec<_>>(), [2, 6]);
        assert_eq!(occurrences("ab", "abc").count(), 0);
        assert_eq!(occurrences("ab", "").count(), 0);
        assert_eq!(find("--ghp_x", "ghp_"), Some(2));
        assert!(!contains("", "a"));
    }

    proptest! {
        /// The same answers as the standard library's search.
        #[test]
        fn agrees_with_str_find(haystack in "[ab:/é]{0,24}", needle in "[ab:/]{1,4}") {
            prop_assert_eq!(find(&haystack, &needle), haystack.find(needle.as_str()));
            prop_assert_eq!(contains(&haystack, &needle), haystack.contains(needle.as_str()));
            let all: Vec<usize> = occurrences(&haystack, &needle).collect();
            let expected: Vec<usize> = (0..haystack.len())
                .filter(|&i| haystack.is_char_boundary(i) && haystack[i..].starts_with(needle.as_str()))
                .collect();
            prop_assert_eq!(all, expected);
        }
    }
}
