//! The venue-neutral request the signer is asked to sign, and the parts it hands back.
//!
//! The exchange adapters build an [`UnsignedRequest`]; the signer returns [`SignedParts`]: the
//! headers to add, the final query (pairs, and the exact encoded string that was signed) and the
//! final body. The caller must send `query_string` and `body` byte for byte: re-encoding the
//! query pairs with another library could change the bytes and break the signature.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::SchemeError;

/// The HTTP methods venues' REST APIs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

impl HttpMethod {
    /// The method as it appears on the wire and in signature payloads (`GET`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request body before signing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RequestBody {
    /// No body.
    #[default]
    None,
    /// `application/x-www-form-urlencoded` pairs, in order (encoded by the scheme).
    Form(Vec<(String, String)>),
    /// A JSON document, sent and signed exactly as given.
    Json(String),
}

/// A request to one venue, before any authentication is added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsignedRequest {
    /// HTTP method.
    pub method: HttpMethod,
    /// The path alone, e.g. `/api/v3/order`: no scheme, host, query or fragment.
    pub path: String,
    /// Query parameters in order, not yet percent-encoded.
    #[serde(default)]
    pub query: Vec<(String, String)>,
    /// The body.
    #[serde(default)]
    pub body: RequestBody,
    /// The host the request goes to, for schemes that sign it (Coinbase Advanced Trade JWT's
    /// `uri` claim). `None` means the venue's production host.
    #[serde(default)]
    pub host: Option<String>,
}

impl UnsignedRequest {
    /// A request with no query, body or host.
    pub fn new(method: HttpMethod, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: RequestBody::None,
            host: None,
        }
    }

    /// Adds a query parameter (builder style).
    pub fn with_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: RequestBody) -> Self {
        self.body = body;
        self
    }

    /// Sets the host (builder style).
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
}

/// The time (and the nonce derived from it) a signature is made at. The signer reads the clock
/// once and passes it in, so every scheme is a pure function and testable against fixed vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningTime {
    /// Milliseconds since the Unix epoch.
    pub unix_ms: u64,
    /// A strictly increasing nonce (Kraken); the caller guarantees monotonicity.
    pub nonce: u64,
}

/// What to add to a request to authenticate it. Send `query_string` and `body` verbatim.
///
/// Header values can include the API key and, for Coinbase Exchange and OKX, the passphrase
/// (those venues want it in clear), so `Debug` shows header names only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedParts {
    /// Headers to set, in order.
    pub headers: Vec<(String, String)>,
    /// The final query parameters, in order, including any the scheme added (`timestamp`,
    /// `signature`), not percent-encoded.
    pub query: Vec<(String, String)>,
    /// The final query string, percent-encoded exactly as signed (empty when there is none).
    pub query_string: String,
    /// The final body, exactly as signed, if any.
    pub body: Option<String>,
}

impl SignedParts {
    /// The value of header `name` (case-insensitive), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path with its query string appended, as it must go on the wire.
    pub fn path_and_query(&self, path: &str) -> String {
        if self.query_string.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", self.query_string)
        }
    }
}

impl fmt::Debug for SignedParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("SignedParts")
            .field("header_names", &names)
            .field("query_string", &self.query_string)
            .field("body", &self.body)
            .finish()
    }
}

/// Percent-encodes pairs as `application/x-www-form-urlencoded` (UTF-8, then `%XX`, space as
/// `+`), the encoding Binance and Kraken sign.
pub(crate) fn form_encode(pairs: &[(String, String)]) -> Result<String, SchemeError> {
    serde_urlencoded::to_string(pairs)
        .map_err(|e| SchemeError::request(format!("parameters cannot be form-encoded: {e}")))
}

/// Appends one encoded `name=value` pair to an encoded query string.
pub(crate) fn append_pair(out: &mut String, name: &str, value: &str) -> Result<(), SchemeError> {
    let pair = serde_urlencoded::to_string([(name, value)]).map_err(|e| {
        SchemeError::request(format!("parameter `{name}` cannot be form-encoded: {e}"))
    })?;
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(&pair);
    Ok(())
}

/// Checks the path is a bare absolute path that can be signed and sent as is.
pub(crate) fn check_path(path: &str) -> Result<(), SchemeError> {
    if !path.starts_with('/') {
        return Err(SchemeError::request("path must start with '/'"));
    }
    if path.len() > 1024 {
        return Err(SchemeError::request("path is longer than 1024 bytes"));
    }
    if let Some(bad) = path
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '?' | '#'))
    {
        return Err(SchemeError::request(format!(
            "path contains {bad:?}: give the query as parameters and no fragment"
        )));
    }
    Ok(())
}

/// Checks names and values of parameters carry no control characters, and rejects one the
/// scheme sets itself (`reserved`), so a caller cannot smuggle a second timestamp or signature.
pub(crate) fn check_params(
    what: &str,
    pairs: &[(String, String)],
    reserved: &[&str],
) -> Result<(), SchemeError> {
    for (k, v) in pairs {
        if k.is_empty() {
            return Err(SchemeError::request(format!(
                "{what} has a parameter with an empty name"
            )));
        }
        if reserved.contains(&k.as_str()) {
            return Err(SchemeError::request(format!(
                "{what} must not set `{k}`: the signer sets it"
            )));
        }
        if k.chars().chain(v.chars()).any(char::is_control) {
            return Err(SchemeError::request(format!(
                "{what} parameter `{k}` contains a control character"
            )));
        }
    }
    Ok(())
}

/// Checks a text can go in an HTTP header value.
pub(crate) fn is_header_safe(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_percent_encodes_utf8_and_reserved_bytes() {
        let pairs = vec![
            ("symbol".to_owned(), "１".to_owned()),
            ("a b".to_owned(), "x&y=z".to_owned()),
        ];
        assert_eq!(
            form_encode(&pairs).unwrap(),
            "symbol=%EF%BC%91&a+b=x%26y%3Dz"
        );
        let mut q = "a=1".to_owned();
        append_pair(&mut q, "signature", "ab+/=").unwrap();
        assert_eq!(q, "a=1&signature=ab%2B%2F%3D");
    }

    #[test]
    fn paths_with_query_or_spaces_are_refused() {
        assert!(check_path("/api/v3/order").is_ok());
        for bad in ["api/v3/order", "/api/v3/order?x=1", "/a b", "/a#b", "/é"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
