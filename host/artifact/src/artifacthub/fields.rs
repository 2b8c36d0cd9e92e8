//! Checks and parsers of the annotations `kwctl scaffold artifacthub` reads: URLs, keywords
//! and maintainers.

use super::error::{ArtifactHubError, Result};
use super::model::Maintainer;

/// The host of an `http(s)://` URL with a host. Whitespace anywhere is refused, although
/// the URL parser would silently drop some: the annotation is copied verbatim.
pub fn http_url_host(annotation: &'static str, text: &str) -> Result<String> {
    let malformed = |reason: String| ArtifactHubError::MalformedUrl {
        annotation,
        url: text.to_owned(),
        reason,
    };
    if text.chars().any(char::is_whitespace) {
        return Err(malformed("it contains whitespace".into()));
    }
    let url = url::Url::parse(text).map_err(|e| {
        if text.starts_with("http://") || text.starts_with("https://") {
            malformed(e.to_string())
        } else {
            ArtifactHubError::NotHttpUrl {
                annotation,
                url: text.to_owned(),
            }
        }
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ArtifactHubError::NotHttpUrl {
            annotation,
            url: text.to_owned(),
        });
    }
    match url.host_str() {
        Some(host) if !host.is_empty() => Ok(host.to_owned()),
        _ => Err(malformed("it has no host".into())),
    }
}

/// CSV of keywords, each trimmed of spaces; empty items are an error.
pub fn parse_keywords(csv: &str) -> Result<Vec<String>> {
    let words: Vec<String> = csv
        .split(',')
        .map(|w| w.trim_matches(' ').to_string())
        .collect();
    if words.iter().any(String::is_empty) {
        return Err(ArtifactHubError::Keywords);
    }
    Ok(words)
}

/// RFC 5322-style address list: `Name <email>, "Other, Name" <e@x>, bare@x`.
/// Empty items between commas are skipped (as mail_parser does); an empty
/// list or an invalid address is an error.
pub fn parse_maintainers(s: &str) -> Result<Vec<Maintainer>> {
    // Split on commas outside quotes and angle brackets.
    let mut items = Vec::new();
    let (mut cur, mut in_quotes, mut in_angle) = (String::new(), false, false);
    for c in s.chars() {
        match c {
            '"' if !in_angle => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => {
                items.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    items.push(cur);

    let mut out = Vec::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let (name, email) = match (item.find('<'), item.rfind('>')) {
            (Some(l), Some(r)) if l < r && item[r + 1..].trim().is_empty() => {
                let name = item[..l].trim().trim_matches('"').trim();
                (name.to_string(), item[l + 1..r].trim().to_string())
            }
            (None, None) => (String::new(), item.to_string()),
            _ => return Err(ArtifactHubError::Maintainers),
        };
        validate_email(&email)?;
        out.push(Maintainer { name, email });
    }
    if out.is_empty() {
        return Err(ArtifactHubError::Maintainers);
    }
    Ok(out)
}

/// A plain `local@domain` address (dot-atom local part, LDH domain labels). Kept by
/// hand: the workspace has no e-mail crate, and these dozen lines are all Artifact Hub's
/// `maintainers` needs (no quoted local parts, comments or IP literals).
fn validate_email(email: &str) -> Result<()> {
    let invalid = || ArtifactHubError::Email {
        address: email.to_owned(),
    };
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let domain_ok = !domain.is_empty()
        && domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !local_ok || !domain_ok {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_maintainers() {
        assert_eq!(
            parse_keywords(" foo,bar, faz fiz, baz").unwrap(),
            ["foo", "bar", "faz fiz", "baz"]
        );
        assert!(parse_keywords("").is_err());
        assert!(parse_keywords("foo,,bar").is_err());
        assert_eq!(
            parse_maintainers("Foo <foo@example.com>,,Bar <bar@example.com>")
                .unwrap()
                .len(),
            2
        );
        assert!(parse_maintainers("").is_err());
        assert!(parse_maintainers("Foo foo@example.com, Bar <bar@example.com>").is_err());
        assert!(parse_maintainers("Bar <#$%#$%>").is_err());
        assert_eq!(
            parse_maintainers("solo@example.com").unwrap(),
            vec![Maintainer {
                name: String::new(),
                email: "solo@example.com".into()
            }]
        );
    }
}
