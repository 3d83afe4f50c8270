//! Gemini's REST signature: the JSON request is base64-encoded into `X-GEMINI-PAYLOAD`, and
//! `X-GEMINI-SIGNATURE` is the lowercase hex HMAC-SHA384 of that base64 text, keyed with the
//! secret's ASCII bytes.
//!
//! Gemini is not yet a venue Tradeward trades on; the algorithm is here, checked against its
//! published vector, so the connector only has to add request building and endpoint tables.

use base64::Engine;

use super::{mac, SchemeError};

/// The base64 payload of a Gemini request body (standard alphabet, padded).
pub fn gemini_payload(json_body: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(json_body.as_bytes())
}

/// `X-GEMINI-SIGNATURE` for an already base64-encoded payload.
pub fn gemini_signature(secret: &[u8], payload_b64: &str) -> Result<String, SchemeError> {
    if secret.is_empty() {
        return Err(SchemeError::MalformedSecret {
            scheme: "gemini",
            reason: "secret is empty",
        });
    }
    Ok(hex::encode(mac::hmac_sha384(
        secret,
        &[payload_b64.as_bytes()],
    )?))
}
