//! Typed identifiers, so a user id can never be passed where a credential id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The text given was not a valid id of the named kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id: expected a UUID")]
pub struct IdParseError {
    /// Which id kind was being parsed (`user`, `credential`, ...).
    pub kind: &'static str,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh id (UUIDv7: time-ordered, so inserts stay index-friendly).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            /// The underlying UUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| IdParseError { kind: $kind })
            }
        }
    };
}

id_type!(
    /// A Tradeward user account.
    UserId,
    "user"
);
id_type!(
    /// A stored exchange credential (API key and its sealed secret).
    CredentialId,
    "credential"
);
id_type!(
    /// A login session (browser) or personal token.
    SessionId,
    "session"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = CredentialId::new();
        let parsed: CredentialId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
    }

    #[test]
    fn bad_id_names_its_kind() {
        let err = "not-a-uuid".parse::<UserId>().unwrap_err();
        assert_eq!(err.to_string(), "invalid user id: expected a UUID");
    }

    #[test]
    fn fresh_ids_are_time_ordered() {
        let a = UserId::new();
        let b = UserId::new();
        assert!(a < b);
    }
}
