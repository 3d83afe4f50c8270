//! Request and response bodies shared by several routes, and the conversions the edge owns
//! (core types are not `Serialize`; these are).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tradeward_vault::SecretString;
use utoipa::ToSchema;

/// A secret that arrives in a request (password, code, API secret): moved straight into a
/// zeroizing [`SecretString`]; it has no `Serialize` and prints redacted.
pub struct SecretInput(pub SecretString);

impl<'de> Deserialize<'de> for SecretInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| SecretInput(SecretString::new(s)))
    }
}

impl fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretInput(REDACTED)")
    }
}

impl SecretInput {
    /// The text, for the call that needs it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// µs since the epoch as RFC 3339 (UTC).
pub fn rfc3339(us: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// `{"status": "ok"}`-style answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusBody {
    /// What happened.
    pub status: &'static str,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rfc3339_of_known_instant() {
        assert_eq!(rfc3339(1_700_000_000_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn secret_input_is_redacted() {
        let s: SecretInput = serde_json::from_str("\"hunter2hunter2\"").unwrap();
        assert_eq!(format!("{s:?}"), "SecretInput(REDACTED)");
        assert_eq!(s.expose(), "hunter2hunter2");
    }
}
