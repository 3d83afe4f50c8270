//! OKX v5: `OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + path?query + body))`,
//! the timestamp in ISO-8601 with milliseconds (`2020-12-08T09:08:57.715Z`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::common::{json_body, json_content_type, passphrase, path_and_query, query_string};
use super::keys;
use super::mac::hmac_sha256;
use super::{SchemeError, SignedParts, SigningTime, UnsignedRequest};

const NAME: &str = "okx_hmac";

/// Checks the secret and the passphrase.
pub(crate) fn validate(secret: &[u8], pass: Option<&[u8]>) -> Result<(), SchemeError> {
    keys::ascii_secret(NAME, secret)?;
    passphrase(NAME, pass).map(|_| ())
}

/// ISO-8601 UTC with milliseconds.
pub fn okx_timestamp(unix_ms: u64) -> Result<String, SchemeError> {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    let nanos = i128::from(unix_ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .ok_or_else(|| SchemeError::request("signing time is out of range"))
}

/// Signs a request.
pub(crate) fn sign(
    api_key: &str,
    secret: &[u8],
    pass: Option<&[u8]>,
    req: &UnsignedRequest,
    time: SigningTime,
) -> Result<SignedParts, SchemeError> {
    let secret = keys::ascii_secret(NAME, secret)?;
    let pass = passphrase(NAME, pass)?;
    let query_string = query_string(req)?;
    let body = json_body("OKX", req)?;
    let ts = okx_timestamp(time.unix_ms)?;
    let request_path = path_and_query(&req.path, &query_string);
    let sig = hmac_sha256(
        secret,
        &[
            ts.as_bytes(),
            req.method.as_str().as_bytes(),
            request_path.as_bytes(),
            body.unwrap_or("").as_bytes(),
        ],
    )?;
    let mut headers = vec![
        ("OK-ACCESS-KEY".to_owned(), api_key.to_owned()),
        ("OK-ACCESS-SIGN".to_owned(), STANDARD.encode(sig)),
        ("OK-ACCESS-TIMESTAMP".to_owned(), ts),
        ("OK-ACCESS-PASSPHRASE".to_owned(), pass.to_owned()),
    ];
    json_content_type(&mut headers, body);
    Ok(SignedParts {
        headers,
        query: req.query.clone(),
        query_string,
        body: body.map(str::to_owned),
    })
}
