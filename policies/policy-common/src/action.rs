//! What a rule does when it finds a violation.

use serde::{Deserialize, Serialize};

/// Per-rule action, set in the policy settings as `deny`, `warn` or `off`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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

impl Action {
    pub fn is_off(self) -> bool {
        self == Action::Off
    }

    pub fn is_on(self) -> bool {
        self != Action::Off
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
        assert!(Action::Off.is_off() && Action::Warn.is_on());
    }
}
