//! API keys of the sim's accounts and Binance's checks on signed requests: key header
//! (-2014/-2015), IP restriction and permissions (-2015), signature (-1022), timestamp and
//! recvWindow (-1021, -1131).

mod signature;

pub use signature::{parse_ed25519_public_key, signed_parts, SignedParts, VerifyKey};

use crate::api::error::ApiError;
use crate::api::params::Params;
use crate::config::AccountConfig;
use crate::engine::AccountId;
use axum::http::HeaderMap;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// What an endpoint needs from the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// USER_DATA: reading.
    Read,
    /// TRADE: placing and cancelling.
    Trade,
}

/// One API key and what it may do.
#[derive(Debug)]
pub struct ApiAccount {
    /// The key (public).
    pub api_key: String,
    /// The engine account it acts on.
    pub account: AccountId,
    /// How its signatures are checked.
    pub key: VerifyKey,
    /// May read.
    pub can_read: bool,
    /// May trade.
    pub can_trade: bool,
    /// Reported by apiRestrictions.
    pub can_withdraw: bool,
    /// Restricted to `allowed_ips`.
    pub ip_restrict: bool,
    /// Allowed client addresses.
    pub allowed_ips: Vec<IpAddr>,
    /// When the key was "created" (sim start), ms.
    pub created_ms: u64,
}

impl ApiAccount {
    /// Builds one from its config section.
    pub fn from_config(
        cfg: &AccountConfig,
        account: AccountId,
        created_ms: u64,
    ) -> Result<Self, String> {
        let key = match (&cfg.secret, &cfg.ed25519_public_key) {
            (Some(s), _) => VerifyKey::Hmac(s.clone()),
            (None, Some(pk)) => VerifyKey::Ed25519(parse_ed25519_public_key(pk)?),
            (None, None) => return Err("no secret nor ed25519_public_key".into()),
        };
        Ok(Self {
            api_key: cfg.api_key.clone(),
            account,
            key,
            can_read: cfg.can_read,
            can_trade: cfg.can_trade,
            can_withdraw: cfg.can_withdraw,
            ip_restrict: cfg.ip_restrict,
            allowed_ips: if cfg.allowed_ips.is_empty() {
                vec![
                    IpAddr::from([127, 0, 0, 1]),
                    IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
                ]
            } else {
                cfg.allowed_ips.clone()
            },
            created_ms,
        })
    }

    /// Whether a request from `ip` may use this key (always, unless it is IP-restricted).
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        !self.ip_restrict || self.allowed_ips.contains(&ip)
    }
}

/// Every API key of the sim.
#[derive(Debug, Default)]
pub struct KeyStore {
    by_key: HashMap<String, Arc<ApiAccount>>,
}

impl KeyStore {
    /// Adds a key.
    pub fn insert(&mut self, a: ApiAccount) {
        self.by_key.insert(a.api_key.clone(), Arc::new(a));
    }

    /// The account of API key `key`, if any (other dialects carry the key in their own
    /// headers and check it their own way).
    pub fn get(&self, key: &str) -> Option<Arc<ApiAccount>> {
        self.by_key.get(key).cloned()
    }

    /// The key of `X-MBX-APIKEY`, checked for existence and IP (USER_STREAM endpoints need no
    /// more).
    pub fn by_header(
        &self,
        headers: &HeaderMap,
        peer: IpAddr,
    ) -> Result<Arc<ApiAccount>, ApiError> {
        let key = headers
            .get("x-mbx-apikey")
            .and_then(|v| v.to_str().ok())
            .filter(|k| {
                !k.is_empty() && k.len() <= 128 && k.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .ok_or_else(ApiError::api_key_format)?;
        let acct = self
            .by_key
            .get(key)
            .ok_or_else(ApiError::api_key_rejected)?;
        if !acct.allows_ip(peer) {
            return Err(ApiError::api_key_rejected());
        }
        Ok(acct.clone())
    }

    /// Authenticates a SIGNED request: key, IP, permission, signature, then timestamp.
    #[allow(clippy::too_many_arguments)]
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        peer: IpAddr,
        query: &str,
        body: &[u8],
        params: &Params,
        server_ms: u64,
        need: Need,
    ) -> Result<Arc<ApiAccount>, ApiError> {
        let acct = self.by_header(headers, peer)?;
        let allowed = match need {
            Need::Read => acct.can_read,
            Need::Trade => acct.can_trade,
        };
        if !allowed {
            return Err(ApiError::api_key_rejected());
        }
        let timestamp = params.req_uint("timestamp")?;
        let parts = signed_parts(query, body);
        let sig = parts
            .signature
            .ok_or_else(|| ApiError::mandatory("signature"))?;
        if !acct.key.verify(&parts.payload, &sig) {
            return Err(ApiError::bad_signature());
        }
        check_timestamp(timestamp, params.decimal("recvWindow")?, server_ms)?;
        Ok(acct)
    }
}

/// Binance's rule: accepted when `timestamp < serverTime + 1000` and
/// `serverTime - timestamp <= recvWindow` (default 5000, at most 60000). Timestamps of 16+
/// digits are microseconds.
pub fn check_timestamp(
    timestamp: u64,
    recv_window: Option<Decimal>,
    server_ms: u64,
) -> Result<(), ApiError> {
    let window = recv_window.unwrap_or(Decimal::from(5000));
    if window > Decimal::from(60_000) {
        return Err(ApiError::bad(-1131, "recvWindow must be less than 60000"));
    }
    // Compare in microseconds so fractional recvWindow and µs timestamps work alike.
    let ts_us = if timestamp >= 100_000_000_000_000 {
        timestamp
    } else {
        timestamp.saturating_mul(1000)
    };
    let server_us = server_ms.saturating_mul(1000);
    if ts_us >= server_us + 1_000_000 {
        return Err(ApiError::bad(
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    let window_us = (window * Decimal::from(1000)).trunc();
    let age_us = Decimal::from(server_us.saturating_sub(ts_us));
    if age_us > window_us {
        return Err(ApiError::bad(
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_rule_matches_binance() {
        let now = 1_700_000_000_000u64;
        assert!(check_timestamp(now, None, now).is_ok());
        assert!(check_timestamp(now - 5000, None, now).is_ok());
        assert_eq!(
            check_timestamp(now - 5001, None, now).unwrap_err().code,
            -1021
        );
        assert!(check_timestamp(now - 59_000, Some(Decimal::from(60_000)), now).is_ok());
        assert_eq!(
            check_timestamp(now, Some(Decimal::from(60_001)), now)
                .unwrap_err()
                .code,
            -1131
        );
        assert!(check_timestamp(now + 999, None, now).is_ok());
        assert_eq!(
            check_timestamp(now + 1000, None, now).unwrap_err().code,
            -1021
        );
        // Microsecond timestamps.
        assert!(check_timestamp(now * 1000 - 4_999_000, None, now).is_ok());
        assert_eq!(
            check_timestamp(now * 1000 - 5_000_001, None, now)
                .unwrap_err()
                .code,
            -1021
        );
    }
}
