//! Validated user names.
//!
//! A [`Username`] is `[a-z0-9_-]{1,32}` and does not start with `-`. The alphabet keeps names
//! safe as folder names, log fields and CLI arguments: no separators, no `..`, no case folding
//! surprises, and nothing that a command line would take for a flag.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Longest accepted user name, in bytes (all accepted characters are ASCII).
pub const MAX_LEN: usize = 32;

/// How much of a rejected input is quoted back in the error, so a huge or hostile name cannot
/// bloat a log line or a reply.
const MAX_ECHO: usize = 40;

/// A user name that passed validation: `[a-z0-9_-]{1,32}`, not starting with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks `name` against the allowed alphabet and length.
    fn validate(name: &str) -> Result<()> {
        let allowed =
            |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-';
        let ok = !name.is_empty()
            && name.len() <= MAX_LEN
            && !name.starts_with('-')
            && name.bytes().all(allowed);
        if ok {
            Ok(())
        } else {
            let shown: String = name.chars().take(MAX_ECHO).collect();
            Err(Error::InvalidUsername(format!(
                "{shown:?}: use 1 to {MAX_LEN} of a-z, 0-9, '_' and '-', not starting with '-'"
            )))
        }
    }
}

impl FromStr for Username {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::validate(s)?;
        Ok(Username(s.to_owned()))
    }
}

impl TryFrom<String> for Username {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        Self::validate(&s)?;
        Ok(Username(s))
    }
}

impl TryFrom<&str> for Username {
    type Error = Error;

    fn try_from(s: &str) -> Result<Self> {
        s.parse()
    }
}

impl From<Username> for String {
    fn from(u: Username) -> Self {
        u.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(s: &str) -> bool {
        matches!(Username::try_from(s), Err(Error::InvalidUsername(_)))
    }

    #[test]
    fn accepts_the_documented_alphabet() {
        for s in [
            "a",
            "alice",
            "bob_2",
            "x-y",
            "0",
            "_",
            "a-",
            &"z".repeat(32),
        ] {
            let u: Username = s.parse().expect(s);
            assert_eq!(u.as_str(), s);
            assert_eq!(u.to_string(), s);
        }
    }

    #[test]
    fn rejects_empty() {
        assert!(rejected(""));
    }

    #[test]
    fn rejects_33_chars() {
        assert!(rejected(&"a".repeat(33)));
    }

    #[test]
    fn rejects_uppercase() {
        assert!(rejected("Alice"));
    }

    #[test]
    fn rejects_dots_slashes_and_nul() {
        for s in ["..", ".", "a/b", "/", "a\0b", "a.b", "a b", "a\\b"] {
            assert!(rejected(s), "{s:?}");
        }
    }

    #[test]
    fn rejects_leading_dash_so_it_cannot_look_like_a_flag() {
        assert!(rejected("-rf"));
        assert!(rejected("-"));
    }

    #[test]
    fn rejects_unicode() {
        assert!(rejected("jürgen"));
        assert!(rejected("ａ"));
    }

    #[test]
    fn error_message_quotes_at_most_40_chars_escaped() {
        let long = format!("\n{}", "X".repeat(100));
        let Err(Error::InvalidUsername(msg)) = Username::try_from(long) else {
            panic!("accepted");
        };
        assert!(msg.starts_with("\"\\nXXX"));
        assert!(!msg.contains(&"X".repeat(40)));
        assert!(msg.contains("a-z"));
    }

    #[test]
    fn serde_round_trips_as_a_string_and_validates() {
        let u: Username = "carol".parse().expect("valid");
        let json = serde_json::to_string(&u).expect("serialize");
        assert_eq!(json, "\"carol\"");
        let back: Username = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, u);
        assert!(serde_json::from_str::<Username>("\"../etc\"").is_err());
    }
}
