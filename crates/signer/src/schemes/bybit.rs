//! Bybit v5: `X-BAPI-SIGN = hex(HMAC-SHA256(secret, timestamp + apiKey + recvWindow + payload))`
//! where the payload is the query string (GET) or the raw JSON body (POST).

use super::common::{json_body, json_content_type, query_string};
use super::keys;
use super::mac::hmac_sha256;
use super::{HttpMethod, SchemeError, SignedParts, SigningTime, UnsignedRequest};

const NAME: &str = "bybit_hmac";

/// The receive window sent with every request, in milliseconds (Bybit's default).
pub const BYBIT_RECV_WINDOW_MS: u64 = 5000;

/// Checks the secret.
pub(crate) fn validate(secret: &[u8]) -> Result<(), SchemeError> {
    keys::ascii_secret(NAME, secret).map(|_| ())
}

/// Signs a request. Bybit signs either the query (GET) or the body (POST), never both, so the
/// other one must be empty: an unsigned part would travel unauthenticated.
pub(crate) fn sign(
    api_key: &str,
    secret: &[u8],
    req: &UnsignedRequest,
    time: SigningTime,
) -> Result<SignedParts, SchemeError> {
    let secret = keys::ascii_secret(NAME, secret)?;
    let query_string = query_string(req)?;
    let body = json_body("Bybit", req)?;
    let payload = match req.method {
        HttpMethod::Get | HttpMethod::Delete => {
            if body.is_some() {
                return Err(SchemeError::request(
                    "Bybit GET requests carry parameters in the query, not a body",
                ));
            }
            query_string.as_str()
        }
        HttpMethod::Post | HttpMethod::Put => {
            if !query_string.is_empty() {
                return Err(SchemeError::request(
                    "Bybit POST requests carry parameters in the JSON body, not the query",
                ));
            }
            body.unwrap_or("")
        }
    };
    let ts = time.unix_ms.to_string();
    let window = BYBIT_RECV_WINDOW_MS.to_string();
    let sig = hmac_sha256(
        secret,
        &[
            ts.as_bytes(),
            api_key.as_bytes(),
            window.as_bytes(),
            payload.as_bytes(),
        ],
    )?;
    let mut headers = vec![
        ("X-BAPI-API-KEY".to_owned(), api_key.to_owned()),
        ("X-BAPI-TIMESTAMP".to_owned(), ts),
        ("X-BAPI-SIGN".to_owned(), hex::encode(sig)),
        ("X-BAPI-RECV-WINDOW".to_owned(), window),
    ];
    json_content_type(&mut headers, body);
    Ok(SignedParts {
        headers,
        query: req.query.clone(),
        query_string,
        body: body.map(str::to_owned),
    })
}
