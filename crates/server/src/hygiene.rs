//! HTTP hygiene applied to every response and request:
//! - security headers (strict CSP without inline script, no framing, nosniff, no referrer to
//!   other sites, HSTS, no caching of API answers);
//! - the Origin check: a browser-sent change must come from our own origin;
//! - a deadline per request and an early refusal of declared oversized bodies;
//! - one log line per request: method, path (never the query), status, duration, client.
//!   Headers and bodies are never logged, so no cookie, token or password reaches the log.

use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::is_safe;
use crate::state::AppState;

/// The Content-Security-Policy: only same-origin resources, no inline script or style, no
/// plugins, no framing by anyone.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

const HEADERS: [(&str, &str); 9] = [
    ("content-security-policy", CSP),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    // Not `no-referrer`: with it, browsers send `Origin: null` on our own form posts, which
    // the Origin check must refuse. `same-origin` sends nothing to other sites.
    ("referrer-policy", "same-origin"),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
    ("cache-control", "no-store"),
];

/// Adds the security headers to every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// Refuses a change whose `Origin` is not ours (browsers send it on every cross-site POST,
/// PUT and DELETE; scripts usually send none, and they cannot ride a victim's cookie).
pub async fn origin_check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_safe(req.method()) {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| req.uri().authority().map(|a| a.as_str()));
            let ours = origin == state.http().public_url
                || host.is_some_and(|h| origin == format!("https://{h}"));
            if !ours {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "origin_mismatch",
                    "this change was sent from another site",
                )
                .into_response();
            }
        }
    }
    next.run(req).await
}

/// Bounds the request: a declared body over the limit is refused before it is read, and the
/// whole request must be answered within the deadline.
pub async fn limits(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.http().max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
        .into_response();
    }
    match tokio::time::timeout(state.http().request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long and was abandoned",
        )
        .into_response(),
    }
}

/// One line per request. The path is logged without its query string; no header or body is.
pub async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let secs = started.elapsed().as_secs_f64();
    crate::metrics::METRICS.request(status, secs);
    let ms = secs * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %path, status, ms, peer, "request");
    } else {
        tracing::info!(%method, %path, status, ms, peer, "request");
    }
    response
}
