//! Kraken Spot REST: `API-Sign = base64(HMAC-SHA512(base64decode(secret), path || SHA-256(nonce ||
//! postdata)))`, the nonce first in the form body.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::keys;
use super::mac::hmac_sha512;
use super::request::{append_pair, check_params, form_encode};
use super::{RequestBody, Scheme, SchemeError, SignedParts, SigningTime, UnsignedRequest};

const NAME: &str = "kraken_hmac";

/// Checks the secret is base64.
pub(crate) fn validate(secret: &[u8]) -> Result<(), SchemeError> {
    keys::base64_secret(NAME, secret).map(|_| ())
}

/// Signs a private REST call. The parameters must be in the form body: Kraken's signature
/// does not cover a query string, so one is refused rather than sent unauthenticated.
pub(crate) fn sign(
    api_key: &str,
    secret: &[u8],
    req: &UnsignedRequest,
    time: SigningTime,
) -> Result<SignedParts, SchemeError> {
    debug_assert_eq!(Scheme::KrakenHmac.as_str(), NAME);
    let key = keys::base64_secret(NAME, secret)?;
    if !req.query.is_empty() {
        return Err(SchemeError::request(
            "Kraken private requests carry their parameters in the body, not the query",
        ));
    }
    let fields: &[(String, String)] = match &req.body {
        RequestBody::None => &[],
        RequestBody::Form(pairs) => pairs,
        RequestBody::Json(_) => {
            return Err(SchemeError::request(
                "Kraken requests are signed as form bodies, not JSON",
            ))
        }
    };
    check_params("body", fields, &["nonce"])?;
    let nonce = time.nonce.to_string();
    let mut postdata = String::new();
    append_pair(&mut postdata, "nonce", &nonce)?;
    if !fields.is_empty() {
        postdata.push('&');
        postdata.push_str(&form_encode(fields)?);
    }
    let digest = Sha256::new()
        .chain_update(nonce.as_bytes())
        .chain_update(postdata.as_bytes())
        .finalize();
    let sig = hmac_sha512(&key, &[req.path.as_bytes(), &digest[..]])?;
    Ok(SignedParts {
        headers: vec![
            ("API-Key".to_owned(), api_key.to_owned()),
            ("API-Sign".to_owned(), STANDARD.encode(sig)),
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
        ],
        query: Vec::new(),
        query_string: String::new(),
        body: Some(postdata),
    })
}
