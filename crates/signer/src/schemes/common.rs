//! Pieces shared by the schemes that sign `timestamp + METHOD + path?query + body` (Coinbase
//! Exchange, OKX) or a JSON body (Bybit, Coinbase Advanced).

use super::request::{check_params, form_encode, is_header_safe};
use super::{RequestBody, SchemeError, UnsignedRequest};

/// The encoded query string (may be empty) after checking the parameters.
pub(crate) fn query_string(req: &UnsignedRequest) -> Result<String, SchemeError> {
    check_params("query", &req.query, &[])?;
    form_encode(&req.query)
}

/// `path` or `path?query`.
pub(crate) fn path_and_query(path: &str, query_string: &str) -> String {
    if query_string.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query_string}")
    }
}

/// The JSON body (checked to be well-formed), or `None`. `venue` names the venue in errors.
pub(crate) fn json_body<'a>(
    venue: &str,
    req: &'a UnsignedRequest,
) -> Result<Option<&'a str>, SchemeError> {
    match &req.body {
        RequestBody::None => Ok(None),
        RequestBody::Json(text) => {
            serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map_err(|e| SchemeError::request(format!("body is not valid JSON: {e}")))?;
            Ok(Some(text))
        }
        RequestBody::Form(_) => Err(SchemeError::request(format!(
            "{venue} takes JSON bodies, not forms"
        ))),
    }
}

/// Checks the API key can go in a header.
pub(crate) fn check_api_key(api_key: &str) -> Result<(), SchemeError> {
    if is_header_safe(api_key) {
        Ok(())
    } else {
        Err(SchemeError::MalformedApiKey)
    }
}

/// The passphrase as header text, or the reason it cannot be used.
pub(crate) fn passphrase<'a>(
    scheme: &'static str,
    passphrase: Option<&'a [u8]>,
) -> Result<&'a str, SchemeError> {
    let bytes = passphrase.ok_or(SchemeError::MissingPassphrase(scheme))?;
    match std::str::from_utf8(bytes) {
        Ok(text) if is_header_safe(text) => Ok(text),
        _ => Err(SchemeError::MalformedPassphrase(scheme)),
    }
}

/// JSON content type header, when there is a body.
pub(crate) fn json_content_type(headers: &mut Vec<(String, String)>, body: Option<&str>) {
    if body.is_some() {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
}
