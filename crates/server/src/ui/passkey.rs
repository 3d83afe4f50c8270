//! Passkey sign-in on the second-factor page: `/static/passkey.js` (ours, allowed by the CSP's
//! `script-src 'self'`) asks `POST /login/passkey/options` for the WebAuthn options of the login
//! in progress (its challenge stays in the `HttpOnly` login cookie, never in the page), runs
//! `navigator.credentials.get`, and posts the assertion to `POST /login/passkey`, which answers
//! `{"next": "/..."}` with the same cookies a form step would set. Without script, or without
//! WebAuthn in the browser, the button stays hidden and the code forms work as before.
//!
//! Both routes change state, so the global Origin check applies, and the finish also needs the
//! CSRF cookie's value in `X-CSRF-Token` (double submit, as the API does).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maud::{html, Markup};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tradeward_auth::webauthn::PublicKeyCredential;
use tradeward_auth::AuthError;

use super::session::{login_challenge, next_step, Next};
use crate::cookies;
use crate::error::ApiError;
use crate::extract::{parse, Client};
use crate::state::AppState;

/// The script, served at `/static/passkey.js`.
const PASSKEY_JS: &str = include_str!("../../static/passkey.js");

/// `POST /login/passkey`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Finish {
    /// The `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    credential: serde_json::Value,
}

/// The passkey part of the second-factor page: hidden until the script finds WebAuthn.
pub fn section() -> Markup {
    html! {
        div #passkey-box hidden {
            button #passkey type="button" { "Use a passkey or security key" }
            p #passkey-error .error role="alert" hidden {}
        }
        script src="/static/passkey.js" defer {}
    }
}

/// `GET /static/passkey.js`.
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        PASSKEY_JS,
    )
}

/// `POST /login/passkey/options`: the options for the login in progress.
pub async fn options(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(challenge) = login_challenge(&headers) else {
        return ApiError::from(AuthError::InvalidChallenge).into_response();
    };
    match state
        .auth()
        .begin_webauthn_login(&challenge, state.now_us())
        .await
    {
        Ok(opts) => Json(serde_json::json!({ "options": opts })).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn csrf_ok(headers: &HeaderMap) -> bool {
    let cookie = cookies::read(headers, cookies::CSRF_COOKIE).unwrap_or_default();
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !cookie.is_empty() && bool::from(cookie.as_bytes().ct_eq(sent.as_bytes()))
}

fn next_json(to: &str, set_cookies: Vec<HeaderValue>) -> Response {
    let mut headers = HeaderMap::new();
    for c in set_cookies {
        headers.append(header::SET_COOKIE, c);
    }
    (headers, Json(serde_json::json!({ "next": to }))).into_response()
}

/// `POST /login/passkey`: completes the login's second-factor step with the assertion.
pub async fn finish(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !csrf_ok(&headers) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "the X-CSRF-Token header must match the CSRF cookie",
        )
        .into_response();
    }
    let Some(challenge) = login_challenge(&headers) else {
        return ApiError::from(AuthError::InvalidChallenge).into_response();
    };
    let req: Finish = match parse(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let Ok(credential) = serde_json::from_value::<PublicKeyCredential>(req.credential) else {
        return ApiError::from(AuthError::InvalidWebauthn(
            "`credential` is not a WebAuthn PublicKeyCredential",
        ))
        .into_response();
    };
    match state
        .auth()
        .complete_webauthn(&challenge, &credential, &ctx, state.now_us())
        .await
    {
        Ok(outcome) => match next_step(outcome) {
            Next::SignedIn(set) => next_json("/", set),
            Next::Step(to, set) => next_json(to, set),
            Next::Failed(_) => ApiError::from(AuthError::InvalidChallenge).into_response(),
        },
        Err(e) => ApiError::from(e).into_response(),
    }
}
