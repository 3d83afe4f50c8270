//! Binance Spot: REST (`timestamp` added, `signature` last, `X-MBX-APIKEY`) with HMAC-SHA256 or
//! Ed25519 keys, and the WebSocket API's sorted-parameter payload.
//!
//! REST payload = the percent-encoded query string followed directly by the body. The simulated
//! exchange speaks this dialect too.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::Signer as _;

use super::keys;
use super::mac::hmac_sha256;
use super::request::{append_pair, check_params, form_encode};
use super::{RequestBody, Scheme, SchemeError, SignedParts, SigningTime, UnsignedRequest};

/// A parsed Binance key: the secret's ASCII bytes (HMAC) or an Ed25519 signing key.
// Lives on the stack for one signature; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum BinanceKey<'a> {
    Hmac(&'a [u8]),
    Ed25519(ed25519_dalek::SigningKey),
}

fn parse_key(scheme: Scheme, secret: &[u8]) -> Result<BinanceKey<'_>, SchemeError> {
    match scheme {
        Scheme::BinanceHmac => Ok(BinanceKey::Hmac(keys::ascii_secret(
            scheme.as_str(),
            secret,
        )?)),
        Scheme::BinanceEd25519 => Ok(BinanceKey::Ed25519(keys::binance_ed25519(
            scheme.as_str(),
            secret,
        )?)),
        _ => Err(SchemeError::Unsupported {
            scheme: scheme.as_str(),
            operation: "Binance signatures",
        }),
    }
}

impl BinanceKey<'_> {
    /// HMAC: lowercase hex; Ed25519: standard base64 (URL-encoded later with the query).
    fn sign(&self, payload: &[&[u8]]) -> Result<String, SchemeError> {
        match self {
            BinanceKey::Hmac(secret) => Ok(hex::encode(hmac_sha256(secret, payload)?)),
            BinanceKey::Ed25519(key) => {
                let message = payload.concat();
                Ok(STANDARD.encode(key.sign(&message).to_bytes()))
            }
        }
    }
}

/// Checks that `secret` is a usable key for `scheme`.
pub(crate) fn validate(scheme: Scheme, secret: &[u8]) -> Result<(), SchemeError> {
    parse_key(scheme, secret).map(|_| ())
}

/// Signs a REST request: `timestamp` appended to the query, `signature` appended last.
pub(crate) fn sign_rest(
    scheme: Scheme,
    api_key: &str,
    secret: &[u8],
    req: &UnsignedRequest,
    time: SigningTime,
) -> Result<SignedParts, SchemeError> {
    let key = parse_key(scheme, secret)?;
    const RESERVED: &[&str] = &["timestamp", "signature"];
    check_params("query", &req.query, RESERVED)?;
    let body = match &req.body {
        RequestBody::None => None,
        RequestBody::Form(pairs) => {
            check_params("body", pairs, RESERVED)?;
            Some(form_encode(pairs)?)
        }
        RequestBody::Json(_) => {
            return Err(SchemeError::request(
                "Binance REST takes form-encoded bodies, not JSON",
            ))
        }
    };
    let mut query = req.query.clone();
    query.push(("timestamp".to_owned(), time.unix_ms.to_string()));
    let mut query_string = form_encode(&query)?;
    let signature = key.sign(&[
        query_string.as_bytes(),
        body.as_deref().unwrap_or("").as_bytes(),
    ])?;
    append_pair(&mut query_string, "signature", &signature)?;
    query.push(("signature".to_owned(), signature));
    let mut headers = vec![("X-MBX-APIKEY".to_owned(), api_key.to_owned())];
    if body.is_some() {
        headers.push((
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ));
    }
    Ok(SignedParts {
        headers,
        query,
        query_string,
        body,
    })
}

/// The WebSocket API's signature payload: every parameter except `signature`, sorted by name,
/// joined as `name=value&...` with raw UTF-8 values (no percent-encoding). The caller includes
/// `apiKey` and `timestamp` among `params`. A name given twice is refused: the sort order of
/// duplicates would be ambiguous.
pub fn binance_ws_api_payload(params: &[(String, String)]) -> Result<String, SchemeError> {
    let mut sorted: Vec<&(String, String)> =
        params.iter().filter(|(k, _)| k != "signature").collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(SchemeError::request(format!(
            "parameter `{}` is given twice",
            w[0].0
        )));
    }
    let mut out = String::new();
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    Ok(out)
}

/// The WebSocket API's `signature` parameter for `params` (see [`binance_ws_api_payload`]):
/// lowercase hex for HMAC keys, base64 for Ed25519 keys.
pub fn binance_ws_api_signature(
    scheme: Scheme,
    secret: &[u8],
    params: &[(String, String)],
) -> Result<String, SchemeError> {
    let key = parse_key(scheme, secret)?;
    let payload = binance_ws_api_payload(params)?;
    key.sign(&[payload.as_bytes()])
}
