//! Coinbase Advanced Trade: a short-lived JWT in `Authorization: Bearer`, signed ES256 (P-256)
//! or EdDSA (Ed25519). Header `{alg, kid, nonce, typ}`, claims `{sub, iss: "cdp", nbf,
//! exp = nbf + 120, uri: "METHOD host/path"}`. Built directly on `p256` / `ed25519-dalek`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use super::common::{json_body, query_string};
use super::keys;
use super::{Scheme, SchemeError, SignedParts, SigningTime, UnsignedRequest};

/// Where Advanced Trade lives when the request names no host.
pub const COINBASE_ADVANCED_HOST: &str = "api.coinbase.com";

/// How long a token is valid, in seconds (Coinbase's limit).
pub const JWT_LIFETIME_SECS: u64 = 120;

enum JwtKey {
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
}

fn parse_key(scheme: Scheme, secret: &[u8]) -> Result<JwtKey, SchemeError> {
    match scheme {
        Scheme::CoinbaseAdvancedJwtEs256 => {
            Ok(JwtKey::Es256(keys::p256_key(scheme.as_str(), secret)?))
        }
        Scheme::CoinbaseAdvancedJwtEd25519 => Ok(JwtKey::EdDsa(keys::coinbase_ed25519(
            scheme.as_str(),
            secret,
        )?)),
        _ => Err(SchemeError::Unsupported {
            scheme: scheme.as_str(),
            operation: "Coinbase JWTs",
        }),
    }
}

/// Checks the key parses.
pub(crate) fn validate(scheme: Scheme, secret: &[u8]) -> Result<(), SchemeError> {
    parse_key(scheme, secret).map(|_| ())
}

fn check_host(host: &str) -> Result<(), SchemeError> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    if ok {
        Ok(())
    } else {
        Err(SchemeError::request(
            "host must be a bare host name (letters, digits, '.', '-', ':')",
        ))
    }
}

/// Builds the bearer token for `req`. The query and body are sent as given (the JWT covers
/// method, host and path only, by Coinbase's design).
pub(crate) fn sign(
    scheme: Scheme,
    key_name: &str,
    secret: &[u8],
    req: &UnsignedRequest,
    time: SigningTime,
    nonce: &[u8; 16],
) -> Result<SignedParts, SchemeError> {
    let key = parse_key(scheme, secret)?;
    let host = req.host.as_deref().unwrap_or(COINBASE_ADVANCED_HOST);
    check_host(host)?;
    let query_string = query_string(req)?;
    let body = json_body("Coinbase Advanced Trade", req)?;
    let token = jwt(&key, key_name, host, req, time, nonce)?;
    let mut headers = vec![("Authorization".to_owned(), format!("Bearer {token}"))];
    super::common::json_content_type(&mut headers, body);
    Ok(SignedParts {
        headers,
        query: req.query.clone(),
        query_string,
        body: body.map(str::to_owned),
    })
}

fn jwt(
    key: &JwtKey,
    key_name: &str,
    host: &str,
    req: &UnsignedRequest,
    time: SigningTime,
    nonce: &[u8; 16],
) -> Result<String, SchemeError> {
    let alg = match key {
        JwtKey::Es256(_) => "ES256",
        JwtKey::EdDsa(_) => "EdDSA",
    };
    let nbf = time.unix_ms / 1000;
    let header = json!({ "alg": alg, "kid": key_name, "nonce": hex::encode(nonce), "typ": "JWT" });
    let claims = json!({
        "sub": key_name,
        "iss": "cdp",
        "nbf": nbf,
        "exp": nbf + JWT_LIFETIME_SECS,
        "uri": format!("{} {host}{}", req.method.as_str(), req.path),
    });
    let mut input = URL_SAFE_NO_PAD.encode(header.to_string());
    input.push('.');
    input.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature: Vec<u8> = match key {
        JwtKey::Es256(k) => {
            // JWS ES256 wants the fixed 64-byte r || s form, which `to_bytes` gives.
            let sig: p256::ecdsa::Signature =
                p256::ecdsa::signature::Signer::sign(k, input.as_bytes());
            sig.to_bytes().to_vec()
        }
        JwtKey::EdDsa(k) => ed25519_dalek::Signer::sign(k, input.as_bytes())
            .to_bytes()
            .to_vec(),
    };
    input.push('.');
    input.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(input)
}
