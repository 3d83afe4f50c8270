//! Kraken's private-call authentication: `API-Key` names the key, `API-Sign` is
//! `base64(HMAC-SHA512(base64decode(secret), path || SHA-256(nonce || body)))`, and the
//! body's `nonce` must exceed the last nonce the key used.
//!
//! The checks run in Kraken's order and fail with its strings: an unknown or unusable key
//! `EAPI:Invalid key`, a bad signature `EAPI:Invalid signature`, a missing or repeated nonce
//! `EAPI:Invalid nonce`, a key that may not do this (or comes from an address not on its
//! allowlist) `EGeneral:Permission denied`.

use super::{KrakenError, KrakenState, Params};
use crate::auth::{ApiAccount, VerifyKey};
use crate::state::AppState;
use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use std::net::IpAddr;
use std::sync::Arc;

/// What a private method needs from the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Need {
    /// Nothing beyond a valid key (GetApiKeyInfo).
    Nothing,
    /// Query funds / orders.
    Read,
    /// Create, modify and cancel orders.
    Trade,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Authenticates a private call on `path` with raw `body` and its parsed `params`.
#[allow(clippy::too_many_arguments)] // the parts of one request, from its one caller
pub(super) fn authenticate(
    st: &AppState,
    ks: &KrakenState,
    headers: &HeaderMap,
    peer: IpAddr,
    path: &str,
    body: &[u8],
    params: &Params,
    need: Need,
) -> Result<Arc<ApiAccount>, KrakenError> {
    let invalid_key = || KrakenError::new("EAPI:Invalid key");
    let key = header(headers, "api-key")
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or_else(invalid_key)?;
    let acct = st.keys.get(key).ok_or_else(invalid_key)?;
    // Kraken secrets are base64; an account whose secret is not (or that has an Ed25519
    // key) cannot be used in this dialect.
    let secret = match &acct.key {
        VerifyKey::Hmac(s) => STANDARD
            .decode(s.expose_secret())
            .map_err(|_| invalid_key())?,
        VerifyKey::Ed25519(_) => return Err(invalid_key()),
    };
    let sig = header(headers, "api-sign")
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or_else(|| KrakenError::new("EAPI:Invalid signature"))?;
    let nonce_text = params
        .get("nonce")
        .ok_or_else(|| KrakenError::new("EAPI:Invalid nonce"))?;
    let digest = Sha256::new()
        .chain_update(nonce_text.as_bytes())
        .chain_update(body)
        .finalize();
    let mut mac = Hmac::<Sha512>::new_from_slice(&secret)
        .map_err(|_| KrakenError::new("EAPI:Invalid key"))?;
    mac.update(path.as_bytes());
    mac.update(&digest);
    // Constant-time comparison.
    if mac.verify_slice(&sig).is_err() {
        return Err(KrakenError::new("EAPI:Invalid signature"));
    }
    let nonce: u64 = nonce_text
        .parse()
        .map_err(|_| KrakenError::new("EAPI:Invalid nonce"))?;
    {
        let mut last = crate::state::lock(&ks.nonces);
        let prev = last.get(key).copied().unwrap_or(0);
        if nonce <= prev {
            return Err(KrakenError::new("EAPI:Invalid nonce"));
        }
        last.insert(key.to_owned(), nonce);
    }
    if !acct.allows_ip(peer) {
        return Err(KrakenError::new("EGeneral:Permission denied"));
    }
    let allowed = match need {
        Need::Nothing => true,
        Need::Read => acct.can_read,
        Need::Trade => acct.can_trade,
    };
    if !allowed {
        return Err(KrakenError::new("EGeneral:Permission denied"));
    }
    Ok(acct)
}
