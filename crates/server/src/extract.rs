//! Request extractors whose failures answer in the API's error shape:
//! - [`ApiJson`]: a JSON body with a size limit, a content-type check, and errors that name
//!   the field at fault without echoing its value (a misplaced password must not come back);
//! - [`Client`]: where the request came from (peer address, or `X-Forwarded-For` from a
//!   trusted proxy) and its User-Agent;
//! - [`Authenticated`]: the caller, from a `Bearer` personal token or the session cookie, with
//!   the CSRF check for cookie-authenticated changes.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use tradeward_auth::{Principal, RequestContext, Via};

use crate::cookies;
use crate::error::ApiError;
use crate::state::AppState;

/// A JSON request body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let limit = state.http().max_body_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| too_large(limit))?;
        parse(&bytes).map(ApiJson)
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body is larger than {limit} bytes"),
    )
}

/// Parses a JSON body; errors name the field and the kind of problem, never the value.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                ApiError::bad_request(
                    "malformed_json",
                    format!(
                        "the body is not valid JSON (line {}, column {})",
                        inner.line(),
                        inner.column()
                    ),
                )
            }
            serde_json::error::Category::Io => {
                ApiError::bad_request("malformed_json", "the body could not be read")
            }
            serde_json::error::Category::Data => {
                let text = inner.to_string();
                // "missing field `x`" and "unknown field `x`" name only field names; other
                // messages ("invalid type: string \"...\"") quote the value, so they are
                // summarised instead.
                let message =
                    if text.starts_with("missing field") || text.starts_with("unknown field") {
                        let what = text.split(" at line").next().unwrap_or(&text).to_owned();
                        if path == "." {
                            what
                        } else {
                            format!("{path}: {what}")
                        }
                    } else {
                        format!("`{path}` has the wrong type or an invalid value")
                    };
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
            }
        }
    })?;
    de.end().map_err(|_| {
        ApiError::bad_request("malformed_json", "unexpected data after the JSON value")
    })?;
    Ok(value)
}

/// Where a request came from.
#[derive(Debug, Clone)]
pub struct Client(pub RequestContext);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let addr = peer.map(|p| client_addr(p, parts, &state.http().trusted_proxies));
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect());
        Ok(Client(RequestContext { addr, user_agent }))
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries to its
/// left were written by the client and prove nothing).
fn client_addr(peer: IpAddr, parts: &Parts, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|h| !trusted.contains(h))
        .unwrap_or(peer)
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let now = state.now_us();
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "unauthenticated",
                        "Authorization must be `Bearer <personal token>`",
                    )
                })?;
            let principal = state.auth().authenticate_api_token(token, now).await?;
            return Ok(Authenticated(principal));
        }
        let token = cookies::read(&parts.headers, cookies::SESSION_COOKIE)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthenticated)?;
        // A cookie rides along with any request the browser makes, so changes made with it
        // must prove they come from our own page.
        if !is_safe(&parts.method) {
            check_csrf(parts)?;
        }
        let principal = state.auth().authenticate_session(&token, now).await?;
        Ok(Authenticated(principal))
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    /// `None` when the request carries no credential at all; an error when it carries a
    /// bad one (a wrong token is never silently treated as "anonymous").
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        let presented = parts.headers.contains_key(header::AUTHORIZATION)
            || cookies::read(&parts.headers, cookies::SESSION_COOKIE)
                .is_some_and(|t| !t.is_empty());
        if !presented {
            return Ok(None);
        }
        <Self as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

impl Authenticated {
    /// The caller, refusing personal tokens (account and key management is for people).
    pub fn session(&self) -> Result<&Principal, ApiError> {
        match self.0.via {
            Via::Session(_) => Ok(&self.0),
            Via::ApiToken { .. } => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "session_required",
                "this action needs a signed-in browser session, not a personal token",
            )),
        }
    }
}

/// GET, HEAD and OPTIONS change nothing.
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn check_csrf(parts: &Parts) -> Result<(), ApiError> {
    let header = parts
        .headers
        .get(cookies::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let cookie = cookies::read(&parts.headers, cookies::CSRF_COOKIE).unwrap_or_default();
    let ok = !header.is_empty()
        && header.len() == cookie.len()
        && bool::from(header.as_bytes().ct_eq(cookie.as_bytes()));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_token_invalid",
            "a change made with the session cookie must carry X-CSRF-Token equal to the \
             __Host-tradeward_csrf cookie",
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
        days: Option<u32>,
    }

    #[test]
    fn parse_errors_name_the_field_not_the_value() {
        let e = parse::<Login>(b"{\"email\": 1, \"password\": \"p\"}").unwrap_err();
        assert_eq!(e.code(), "invalid_field");
        let e = parse::<Login>(
            b"{\"email\": \"a\", \"password\": \"p\", \"days\": \"hunter2-secret\"}",
        )
        .unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let shown = format!("{e:?}");
        assert!(shown.contains("`days`"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let e = parse::<Login>(b"{\"email\": \"a\"}").unwrap_err();
        assert!(format!("{e:?}").contains("missing field `password`"));
        let e = parse::<Login>(b"{\"email\": \"a\", \"password\": \"p\", \"x\": 1}").unwrap_err();
        assert!(format!("{e:?}").contains("unknown field `x`"));
        let e = parse::<Login>(b"{\"email\": ").unwrap_err();
        assert_eq!(e.code(), "malformed_json");
        let e = parse::<Login>(b"{\"email\": \"a\", \"password\": \"p\"} trailing").unwrap_err();
        assert_eq!(e.code(), "malformed_json");
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let req = axum::http::Request::builder()
            .header("x-forwarded-for", "6.6.6.6, 198.51.100.7")
            .body(())
            .unwrap();
        let (parts, _) = req.into_parts();
        assert_eq!(
            client_addr(proxy, &parts, &[proxy]),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_addr(proxy, &parts, &[]), proxy);
    }
}
