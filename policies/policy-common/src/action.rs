//! What a rule does when it finds a violation.

use serde::{Deserialize, Deserializer, Serialize};

/// Per-rule action, set in the policy settings as `deny`, `warn` or `off`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Reject the request.
    #[default]
    Deny,
    /// Admit the request and return a warning to the client.
    Warn,
    /// Do not check.
    Off,
}

/// By hand, so that a value of the wrong type (`true`, `1`) is refused with the allowed values
/// listed too (the derive says only `expected variant identifier`).
impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Action;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("one of deny, warn or off")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Action, E> {
                match v {
                    "deny" => Ok(Action::Deny),
                    "warn" => Ok(Action::Warn),
                    "off" => Ok(Action::Off),
                    _ => Err(E::unknown_variant(v, &["deny", "warn", "off"])),
                }
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl Action {
    pub fn is_off(self) -> bool {
        self == Action::Off
    }

    pub fn is_on(self) -> bool {
        self != Action::Off
    }

    /// The stricter of two actions (`deny` over `warn` over `off`): what a finding that several
    /// rules share takes.
    pub fn strictest(self, other: Action) -> Action {
        match (self, other) {
            (Action::Deny, _) | (_, Action::Deny) => Action::Deny,
            (Action::Warn, _) | (_, Action::Warn) => Action::Warn,
            _ => Action::Off,
        }
    }

    /// A serde default for rules that only warn unless configured.
    pub fn warn() -> Action {
        Action::Warn
    }

    /// A serde default for rules that are opt-in.
    pub fn off() -> Action {
        Action::Off
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lowercase_names_only() {
        let a: Action = serde_json::from_str("\"warn\"").unwrap();
        assert_eq!(a, Action::Warn);
        assert!(serde_json::from_str::<Action>("\"Deny\"").is_err());
        assert!(serde_json::from_str::<Action>("\"block\"").is_err());
        assert_eq!(Action::default(), Action::Deny);
        for bad in ["true", "1", "\"block\"", "null"] {
            let e = serde_json::from_str::<Action>(bad).unwrap_err().to_string();
            assert!(
                e.contains("deny, warn or off") || e.contains("`deny`, `warn`, `off`"),
                "{bad}: {e}"
            );
        }
        assert_eq!(Action::Warn.strictest(Action::Deny), Action::Deny);
        assert_eq!(Action::Off.strictest(Action::Warn), Action::Warn);
        assert!(Action::Off.is_off() && Action::Warn.is_on());
    }
}
