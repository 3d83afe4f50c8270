//! Endpoint classification per venue: the policy's input. Every request the signer is asked to
//! sign is first classified as read, trade, cancel, withdraw, transfer, key management or
//! unknown; the signer signs only the first three.
//!
//! Classification is by exact match of the method and a canonical path against a per-venue
//! table. A path that is not canonical (`..`, `//`, `%`, `?`, a trailing `/`, ...) is Unknown;
//! nothing is prefix-matched, so no spelling of a withdraw endpoint can pass as a trade. Paths
//! of the dangerous classes match whatever the method, so even a wrong-method attempt on a
//! withdraw endpoint is audited as a withdraw.
//!
//! [`trade_intent`] reads what a trade-class request would do (symbol, side, amounts), so the
//! signer can check the credential's limits before signing.

mod intent;
mod path;
mod table;

use serde::{Deserialize, Serialize};
use tradeward_domain::Venue;

use crate::schemes::HttpMethod;

pub use intent::{trade_intent, EndpointError, TradeIntent};

/// What an endpoint does, for policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointClass {
    /// Reads market data or account state.
    Read,
    /// Cancels orders.
    Cancel,
    /// Places (or amends, or tests) an order.
    Trade,
    /// Moves funds between the user's own accounts or sub-accounts.
    Transfer,
    /// Creates, changes or deletes API keys or their restrictions.
    KeyManagement,
    /// Sends funds off the exchange (or changes withdrawal settings).
    Withdraw,
    /// Not in the venue's table: never signed.
    Unknown,
}

impl EndpointClass {
    /// Stable snake_case name (for audit records).
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointClass::Read => "read",
            EndpointClass::Cancel => "cancel",
            EndpointClass::Trade => "trade",
            EndpointClass::Transfer => "transfer",
            EndpointClass::KeyManagement => "key_management",
            EndpointClass::Withdraw => "withdraw",
            EndpointClass::Unknown => "unknown",
        }
    }

    /// Whether the signer may ever sign requests of this class (threat model S6).
    pub fn is_signable(self) -> bool {
        matches!(
            self,
            EndpointClass::Read | EndpointClass::Trade | EndpointClass::Cancel
        )
    }

    /// How dangerous the class is; when several table rows match, the most dangerous wins.
    fn severity(self) -> u8 {
        match self {
            EndpointClass::Read => 0,
            EndpointClass::Cancel => 1,
            EndpointClass::Trade => 2,
            EndpointClass::Transfer => 3,
            EndpointClass::KeyManagement => 4,
            EndpointClass::Withdraw => 5,
            EndpointClass::Unknown => 6,
        }
    }
}

impl std::fmt::Display for EndpointClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classifies `method path` on `venue`. `path` is the bare path the request will be sent to
/// (no query): anything not canonical or not in the venue's table is [`EndpointClass::Unknown`].
pub fn classify(venue: Venue, method: HttpMethod, path: &str) -> EndpointClass {
    let Some(segments) = path::canonical_segments(path) else {
        return EndpointClass::Unknown;
    };
    table::rules(venue)
        .iter()
        .filter(|r| r.method.is_none_or(|m| m == method) && path::matches(r.pattern, &segments))
        .map(|r| r.class)
        .max_by_key(|c| c.severity())
        .unwrap_or(EndpointClass::Unknown)
}
