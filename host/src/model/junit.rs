//! Minimal JUnit XML, enough for CI test reporters.

use std::fmt::Write as _;

pub struct JunitCase<'a> {
    pub suite: &'a str,
    pub name: &'a str,
    pub seconds: f64,
    /// `Some(details)` for a failure.
    pub failure: Option<String>,
    /// `Some(details)` for an error (the case could not be judged) or a skip.
    pub other: Option<(JunitOther, String)>,
}

/// What else a case can be than passed or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JunitOther {
    Error,
    Skipped,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// One `<testsuite>` per suite file, in first-seen order.
pub fn render(cases: &[JunitCase<'_>]) -> String {
    let mut suites: Vec<&str> = Vec::new();
    for case in cases {
        if !suites.contains(&case.suite) {
            suites.push(case.suite);
        }
    }
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for suite in suites {
        let members: Vec<_> = cases.iter().filter(|c| c.suite == suite).collect();
        let failures = members.iter().filter(|c| c.failure.is_some()).count();
        let count = |other: JunitOther| {
            members
                .iter()
                .filter(|c| c.other.as_ref().is_some_and(|(o, _)| *o == other))
                .count()
        };
        let (errors, skipped) = (count(JunitOther::Error), count(JunitOther::Skipped));
        let time: f64 = members.iter().map(|c| c.seconds).sum();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\">",
            escape(suite),
            members.len()
        );
        for case in members {
            let _ = write!(
                xml,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                escape(suite),
                escape(case.name),
                case.seconds
            );
            let element = match (&case.failure, &case.other) {
                (Some(details), _) => Some(("failure", details)),
                (None, Some((JunitOther::Error, details))) => Some(("error", details)),
                (None, Some((JunitOther::Skipped, details))) => Some(("skipped", details)),
                (None, None) => None,
            };
            match element {
                None => xml.push_str("/>\n"),
                Some((tag, details)) => {
                    let first_line = details.lines().next().unwrap_or_default();
                    let _ = writeln!(
                        xml,
                        ">\n      <{tag} message=\"{}\">{}</{tag}>\n    </testcase>",
                        escape(first_line.trim()),
                        escape(details)
                    );
                }
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_escapes() {
        let xml = render(&[
            JunitCase {
                suite: "s.yaml",
                name: "a<b",
                seconds: 0.5,
                failure: None,
                other: None,
            },
            JunitCase {
                suite: "s.yaml",
                name: "c",
                seconds: 0.25,
                failure: Some("allowed: \"x\"".into()),
                other: None,
            },
            JunitCase {
                suite: "s.yaml",
                name: "d",
                seconds: 0.0,
                failure: None,
                other: Some((JunitOther::Error, "cannot read".into())),
            },
            JunitCase {
                suite: "s.yaml",
                name: "e",
                seconds: 0.0,
                failure: None,
                other: Some((JunitOther::Skipped, "not selected".into())),
            },
        ]);
        assert!(xml.contains(
            "<testsuite name=\"s.yaml\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"0.750\">"
        ));
        assert!(xml.contains("<error message=\"cannot read\">cannot read</error>"));
        assert!(xml.contains("<skipped message=\"not selected\">not selected</skipped>"));
        assert!(xml.contains("name=\"a&lt;b\" time=\"0.500\"/>"));
        assert!(xml.contains("<failure message=\"allowed: &quot;x&quot;\">"));
    }
}
