//! Kraken's JSON, parsed into typed structs and then into Tradeward's types, plus Kraken's
//! spellings (asset codes, client order ids) and its error strings.
//!
//! Every parser takes untrusted bytes and returns `Result`: REST amounts must be decimal
//! strings, WebSocket v2 amounts JSON numbers read as decimals (never through arithmetic on
//! floats), unknown fields are ignored, and nothing is ever echoed into an error.

pub mod rest;
pub mod stream;

use sha2::{Digest, Sha256};

use crate::error::{ExchangeError, RetryKind};
use crate::types::ClientOrderId;

pub use rest::{
    parse_api_key_info, parse_asset_pairs, parse_balance_ex, parse_cancel, parse_envelope_error,
    parse_order_map, parse_orders_page, parse_server_time, parse_txid, KrakenKeyInfo,
};
pub use stream::parse_ws_message;

/// Tradeward's asset code for a Kraken asset code: Kraken's legacy four-letter codes drop
/// their `X`/`Z` class prefix (`XXBT` → `XBT`, `ZUSD` → `USD`), and `XBT` is `BTC`, `XDG` is
/// `DOGE`.
pub fn asset_code(kraken: &str) -> String {
    const LEGACY: [&str; 20] = [
        "XXBT", "XETH", "XLTC", "XXRP", "XXLM", "XZEC", "XXMR", "XETC", "XREP", "XMLN", "XXDG",
        "ZUSD", "ZEUR", "ZGBP", "ZCAD", "ZJPY", "ZAUD", "ZCHF", "XXTZ", "XICN",
    ];
    let plain = if LEGACY.contains(&kraken) {
        &kraken[1..]
    } else {
        kraken
    };
    match plain {
        "XBT" => "BTC".to_owned(),
        "XDG" => "DOGE".to_owned(),
        other => other.to_owned(),
    }
}

/// The `cl_ord_id` sent for a client order id. Kraken takes a UUID (long, or 32 hex digits)
/// or free text of up to 18 characters: Tradeward's derived ids (`tw` + 32 hex digits) go as
/// their 32 hex digits, short ids as they are, anything else as 32 hex digits of its SHA-256.
pub fn to_cl_ord_id(id: &ClientOrderId) -> String {
    let s = id.as_str();
    if let Some(hex) = s.strip_prefix("tw") {
        if hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return hex.to_owned();
        }
    }
    if s.len() <= 18 {
        return s.to_owned();
    }
    hex::encode(&Sha256::digest(s.as_bytes())[..16])
}

/// The client order id reported for a `cl_ord_id` ([`to_cl_ord_id`] undone for derived ids).
pub fn from_cl_ord_id(cl: &str) -> String {
    if cl.len() == 32
        && cl
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        format!("tw{cl}")
    } else {
        cl.to_owned()
    }
}

/// Stable codes for Kraken's error strings (Kraken has none), so callers can match on
/// [`ExchangeError::venue_code`]. Unlisted strings get 0.
pub mod codes {
    /// `EGeneral:Invalid arguments` (any argument).
    pub const INVALID_ARGUMENTS: i64 = 1;
    /// `EAPI:Invalid key`.
    pub const INVALID_KEY: i64 = 2;
    /// `EAPI:Invalid signature`.
    pub const INVALID_SIGNATURE: i64 = 3;
    /// `EAPI:Invalid nonce`.
    pub const INVALID_NONCE: i64 = 4;
    /// `EGeneral:Permission denied`.
    pub const PERMISSION_DENIED: i64 = 5;
    /// `EOrder:Unknown order` / `EOrder:Invalid order`.
    pub const UNKNOWN_ORDER: i64 = 10;
    /// `EOrder:Insufficient funds`.
    pub const INSUFFICIENT_FUNDS: i64 = 11;
    /// `EQuery:Unknown asset pair`.
    pub const UNKNOWN_PAIR: i64 = 12;
    /// Other `EOrder:` refusals (minimums, post-only, prices).
    pub const ORDER_REFUSED: i64 = 13;
}

/// Turns Kraken's error list into an [`ExchangeError`]: rate limits and service trouble are
/// retryable (service errors as "outcome unknown", so writes are reconciled first), the rest
/// are rejections with a stable code and Kraken's (cleaned) string.
pub fn classify_errors(errors: &[String]) -> ExchangeError {
    let first = errors
        .first()
        .map(String::as_str)
        .unwrap_or("EGeneral:Unknown error");
    if matches!(
        first,
        "EAPI:Rate limit exceeded"
            | "EOrder:Rate limit exceeded"
            | "EGeneral:Too many requests"
            | "EGeneral:Temporary lockout"
    ) {
        return ExchangeError::retry(
            RetryKind::RateLimited,
            "Kraken rate limit reached; backing off",
        );
    }
    if first.starts_with("EService:") || first == "EGeneral:Internal error" {
        return ExchangeError::retry(
            RetryKind::ServerError(503),
            "Kraken reported a service problem; the request's outcome is unknown",
        );
    }
    let code = if first.starts_with("EGeneral:Invalid arguments") {
        codes::INVALID_ARGUMENTS
    } else {
        match first {
            "EAPI:Invalid key" => codes::INVALID_KEY,
            "EAPI:Invalid signature" => codes::INVALID_SIGNATURE,
            "EAPI:Invalid nonce" => codes::INVALID_NONCE,
            "EGeneral:Permission denied" => codes::PERMISSION_DENIED,
            "EOrder:Unknown order" | "EOrder:Invalid order" => codes::UNKNOWN_ORDER,
            "EOrder:Insufficient funds" => codes::INSUFFICIENT_FUNDS,
            "EQuery:Unknown asset pair" | "EQuery:Invalid asset pair" => codes::UNKNOWN_PAIR,
            s if s.starts_with("EOrder:") => codes::ORDER_REFUSED,
            _ => 0,
        }
    };
    ExchangeError::rejected(code, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_codes_drop_krakens_prefixes() {
        assert_eq!(asset_code("XXBT"), "BTC");
        assert_eq!(asset_code("XBT"), "BTC");
        assert_eq!(asset_code("ZUSD"), "USD");
        assert_eq!(asset_code("XXDG"), "DOGE");
        assert_eq!(asset_code("USDT"), "USDT");
        assert_eq!(asset_code("SOL"), "SOL");
    }

    #[test]
    fn client_ids_fit_krakens_grammar_and_come_back() {
        let derived = ClientOrderId::derive("u/c", "t#1");
        let cl = to_cl_ord_id(&derived);
        assert_eq!(cl.len(), 32);
        assert_eq!(from_cl_ord_id(&cl), derived.as_str());
        let short = ClientOrderId::new("my-order-1").unwrap_or_else(|_| unreachable!());
        assert_eq!(to_cl_ord_id(&short), "my-order-1");
        assert_eq!(from_cl_ord_id("my-order-1"), "my-order-1");
        let long = ClientOrderId::new("a".repeat(30)).unwrap_or_else(|_| unreachable!());
        assert_eq!(to_cl_ord_id(&long).len(), 32);
    }

    #[test]
    fn errors_are_classified() {
        assert!(classify_errors(&["EAPI:Rate limit exceeded".into()]).is_retryable());
        assert!(classify_errors(&["EService:Unavailable".into()]).outcome_unknown());
        let e = classify_errors(&["EOrder:Insufficient funds".into()]);
        assert_eq!(e.venue_code(), Some(codes::INSUFFICIENT_FUNDS));
        assert!(e.to_string().contains("EOrder:Insufficient funds"));
        assert_eq!(
            classify_errors(&["EGeneral:Invalid arguments:volume".into()]).venue_code(),
            Some(codes::INVALID_ARGUMENTS)
        );
        assert_eq!(classify_errors(&[]).venue_code(), Some(0));
    }
}
