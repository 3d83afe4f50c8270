//! Coinbase Advanced Trade's JWT check (EdDSA tokens under the account's Ed25519 key).

use super::CbError;
use crate::auth::{ApiAccount, VerifyKey};
use crate::state::AppState;
use axum::http::{HeaderMap, Method, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier};
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;

/// Longest token accepted.
const MAX_TOKEN: usize = 4096;

/// Seconds a token may live (Coinbase: two minutes) and clock slack allowed.
const MAX_LIFETIME: i64 = 120;
const SKEW: i64 = 5;

/// What the endpoint needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Need {
    /// Any valid key (a key may always ask about itself).
    Any,
    /// View.
    View,
    /// Trade.
    Trade,
}

fn part(s: &str) -> Result<Value, CbError> {
    let raw = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| CbError::unauthenticated("malformed token"))?;
    serde_json::from_slice(&raw).map_err(|_| CbError::unauthenticated("malformed token"))
}

/// Whether `uri` (`GET api.coinbase.com/api/v3/...`) names `method` and `path`. The host is
/// not checked (the sim does not know the name clients reach it by); clients that build the
/// claim from a plain-HTTP URL leave `http://` in it, which is tolerated.
fn uri_matches(uri: &str, method: &Method, path: &str) -> bool {
    let Some((m, rest)) = uri.split_once(' ') else {
        return false;
    };
    let rest = rest
        .strip_prefix("http://")
        .or_else(|| rest.strip_prefix("https://"))
        .unwrap_or(rest);
    let Some(slash) = rest.find('/') else {
        return false;
    };
    let claimed = rest[slash..].split('?').next().unwrap_or("");
    m == method.as_str() && claimed == path
}

/// Authenticates a request to `path`.
pub(super) fn authenticate(
    st: &AppState,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    peer: IpAddr,
    need: Need,
) -> Result<Arc<ApiAccount>, CbError> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| t.len() <= MAX_TOKEN)
        .ok_or_else(|| CbError::unauthenticated("missing bearer token"))?;
    let mut it = token.split('.');
    let (Some(h), Some(c), Some(sig), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(CbError::unauthenticated("malformed token"));
    };
    let header = part(h)?;
    let claims = part(c)?;
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| CbError::unauthenticated("token names no key"))?;
    let acct = st
        .keys
        .get(kid)
        .ok_or_else(|| CbError::unauthenticated("unknown key"))?;
    let key = match (&acct.key, header.get("alg").and_then(Value::as_str)) {
        (VerifyKey::Ed25519(k), Some("EdDSA")) => k,
        _ => {
            return Err(CbError::unauthenticated(
                "the key cannot verify this token's algorithm",
            ))
        }
    };
    let raw_sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| CbError::unauthenticated("malformed signature"))?;
    let sig = Signature::from_slice(&raw_sig)
        .map_err(|_| CbError::unauthenticated("malformed signature"))?;
    let signed = &token[..h.len() + 1 + c.len()];
    if key.verify(signed.as_bytes(), &sig).is_err() {
        return Err(CbError::unauthenticated("invalid signature"));
    }
    if claims.get("sub").and_then(Value::as_str) != Some(kid) {
        return Err(CbError::unauthenticated("sub does not match kid"));
    }
    if !matches!(
        claims.get("iss").and_then(Value::as_str),
        Some("cdp") | Some("coinbase-cloud")
    ) {
        return Err(CbError::unauthenticated("unexpected issuer"));
    }
    let now = (st.now_ms() / 1000) as i64;
    let nbf = claims.get("nbf").and_then(Value::as_i64);
    let exp = claims.get("exp").and_then(Value::as_i64);
    let (Some(nbf), Some(exp)) = (nbf, exp) else {
        return Err(CbError::unauthenticated("token has no validity window"));
    };
    if nbf > now + SKEW || exp <= now - SKEW || exp - nbf > MAX_LIFETIME {
        return Err(CbError::unauthenticated("token expired or not yet valid"));
    }
    let uri = claims
        .get("uri")
        .and_then(Value::as_str)
        .or_else(|| {
            claims
                .get("uris")
                .and_then(|u| u.get(0))
                .and_then(Value::as_str)
        })
        .ok_or_else(|| CbError::unauthenticated("token names no uri"))?;
    if !uri_matches(uri, method, path) {
        return Err(CbError::unauthenticated(
            "token was made for another request",
        ));
    }
    if !acct.allows_ip(peer) {
        return Err(CbError::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "request from an address the key does not allow",
        ));
    }
    let allowed = match need {
        Need::Any => true,
        Need::View => acct.can_read,
        Need::Trade => acct.can_trade,
    };
    if !allowed {
        return Err(CbError::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "Missing required scopes",
        ));
    }
    Ok(acct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_claims() {
        let get = Method::GET;
        assert!(uri_matches(
            "GET api.coinbase.com/api/v3/brokerage/accounts",
            &get,
            "/api/v3/brokerage/accounts"
        ));
        assert!(uri_matches(
            "GET http://127.0.0.1:8080/api/v3/brokerage/accounts",
            &get,
            "/api/v3/brokerage/accounts"
        ));
        assert!(!uri_matches(
            "POST api.coinbase.com/api/v3/brokerage/accounts",
            &get,
            "/api/v3/brokerage/accounts"
        ));
        assert!(!uri_matches(
            "GET api.coinbase.com/api/v3/brokerage/orders",
            &get,
            "/api/v3/brokerage/accounts"
        ));
        assert!(!uri_matches("GET", &get, "/"));
    }
}
