//! The session and CSRF cookies.
//!
//! `__Host-` names make the browser refuse them unless they are `Secure`, `Path=/` and carry no
//! `Domain`, so a sibling subdomain cannot plant or overwrite them. The session cookie is
//! `HttpOnly` (script never sees it); the CSRF cookie is readable by the page's script, which
//! echoes it in `X-CSRF-Token` (double submit, on top of SameSite=Strict and the Origin check).

use axum::http::{header, HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "__Host-tradeward_session";
/// The CSRF cookie's name.
pub const CSRF_COOKIE: &str = "__Host-tradeward_csrf";
/// The header that must echo the CSRF cookie on cookie-authenticated changes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name` in the request, if present.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A fresh CSRF token: 128 random bits. Not a credential on its own (it only accompanies the
/// session cookie), so it may be given to script.
pub fn new_csrf_token() -> String {
    let mut raw = [0u8; 16];
    OsRng.fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

/// `Set-Cookie` values that establish a session: the session cookie and a CSRF cookie.
pub fn session_set(token: &str, csrf: &str) -> Vec<HeaderValue> {
    [
        format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict"),
        format!("{CSRF_COOKIE}={csrf}; Path=/; Secure; SameSite=Strict"),
    ]
    .into_iter()
    .filter_map(|c| HeaderValue::from_str(&c).ok())
    .collect()
}

/// `Set-Cookie` values that replace the session cookie only (after step-up).
pub fn session_only(token: &str) -> Vec<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict"
    ))
    .into_iter()
    .collect()
}

/// `Set-Cookie` values that delete both cookies.
pub fn cleared() -> Vec<HeaderValue> {
    [SESSION_COOKIE, CSRF_COOKIE]
        .into_iter()
        .filter_map(|name| {
            HeaderValue::from_str(&format!(
                "{name}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"
            ))
            .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_the_named_cookie_among_several() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-tradeward_session=tws_x"),
        );
        assert_eq!(read(&h, SESSION_COOKIE).as_deref(), Some("tws_x"));
        assert_eq!(read(&h, "b").as_deref(), Some("2"));
        assert_eq!(read(&h, "c"), None);
    }

    #[test]
    fn session_cookie_attributes() {
        let set = session_set("tws_abc", "csrf");
        let s = set[0].to_str().unwrap();
        for attr in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(s.contains(attr), "{s} lacks {attr}");
        }
        assert!(!s.contains("Domain"));
        assert!(s.starts_with("__Host-tradeward_session=tws_abc;"));
    }
}
