//! Coinbase Exchange (legacy "Pro") API: `CB-ACCESS-SIGN = base64(HMAC-SHA256(base64decode(secret),
//! timestamp + METHOD + path?query + body))`, timestamp in seconds with milliseconds.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::common::{json_body, json_content_type, passphrase, path_and_query, query_string};
use super::keys;
use super::mac::hmac_sha256;
use super::{SchemeError, SignedParts, SigningTime, UnsignedRequest};

const NAME: &str = "coinbase_exchange_hmac";

/// Checks the secret is base64 and the passphrase present.
pub(crate) fn validate(secret: &[u8], pass: Option<&[u8]>) -> Result<(), SchemeError> {
    keys::base64_secret(NAME, secret)?;
    passphrase(NAME, pass).map(|_| ())
}

/// Seconds with a three-digit fraction, e.g. `1580066918.897`.
pub(crate) fn timestamp(unix_ms: u64) -> String {
    format!("{}.{:03}", unix_ms / 1000, unix_ms % 1000)
}

/// Signs a request.
pub(crate) fn sign(
    api_key: &str,
    secret: &[u8],
    pass: Option<&[u8]>,
    req: &UnsignedRequest,
    time: SigningTime,
) -> Result<SignedParts, SchemeError> {
    let key = keys::base64_secret(NAME, secret)?;
    let pass = passphrase(NAME, pass)?;
    let query_string = query_string(req)?;
    let body = json_body("Coinbase Exchange", req)?;
    let ts = timestamp(time.unix_ms);
    let request_path = path_and_query(&req.path, &query_string);
    let sig = hmac_sha256(
        &key,
        &[
            ts.as_bytes(),
            req.method.as_str().as_bytes(),
            request_path.as_bytes(),
            body.unwrap_or("").as_bytes(),
        ],
    )?;
    let mut headers = vec![
        ("CB-ACCESS-KEY".to_owned(), api_key.to_owned()),
        ("CB-ACCESS-SIGN".to_owned(), STANDARD.encode(sig)),
        ("CB-ACCESS-TIMESTAMP".to_owned(), ts),
        ("CB-ACCESS-PASSPHRASE".to_owned(), pass.to_owned()),
    ];
    json_content_type(&mut headers, body);
    Ok(SignedParts {
        headers,
        query: req.query.clone(),
        query_string,
        body: body.map(str::to_owned),
    })
}
