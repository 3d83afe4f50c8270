//! The web UI: server-rendered pages (maud) for signing in step by step (password, second
//! factor, forced password change, TOTP enrolment with recovery codes), a dashboard of
//! balances, price charts and exchange keys, adding a key (with step-up), the admin console
//! (global trading switch), and logout.
//!
//! The pages call [`tradeward_auth::AuthService`] directly and set the same session cookie as
//! the API. No page carries inline script (the CSP forbids it); the one script, `/static/live.js`, only
//! refreshes prices from the WebSocket, and every page works without it: forms
//! post to the routes here, which answer with a page or a 303 redirect. The second-factor
//! page also loads `/static/passkey.js`, which offers passkey sign-in ([`passkey`]) and
//! stays hidden where script or WebAuthn is missing.
//!
//! Cross-site requests: the global Origin check applies, cookies are `SameSite=Strict`, and
//! every form carries the `__Host-tradeward_csrf` cookie's value in a hidden `csrf` field
//! (double submit; see [`form`]). A login in progress keeps its challenge in an `HttpOnly`
//! cookie, never in the page.

mod admin;
mod app_pages;
mod chart;
mod dashboard;
mod form;
mod keys;
mod login;
mod pages;
mod passkey;
mod qr;
mod session;
mod stepup;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// The stylesheet, served at `/static/app.css`.
const APP_CSS: &str = include_str!("../../static/app.css");

/// The live-price script, served at `/static/live.js` (ours, no third party).
const LIVE_JS: &str = include_str!("../../static/live.js");

/// The UI's routes (merged beside `/api/v1` by [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::home))
        .route("/login", get(login::login_page).post(login::login))
        .route("/login/totp", get(login::totp_page).post(login::totp))
        .route("/login/recovery", post(login::recovery))
        .route("/login/passkey/options", post(passkey::options))
        .route("/login/passkey", post(passkey::finish))
        .route("/static/passkey.js", get(passkey::script))
        .route(
            "/login/password",
            get(login::password_page).post(login::password),
        )
        .route("/login/enroll", get(login::enroll_page).post(login::enroll))
        .route("/logout", post(dashboard::logout))
        .route("/keys/new", get(keys::new_key))
        .route("/keys", post(keys::add_key))
        .route("/admin", get(admin::console))
        .route("/admin/trading", post(admin::trading))
        .route("/static/app.css", get(stylesheet))
        .route("/static/live.js", get(live_script))
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS)
}

async fn live_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        LIVE_JS,
    )
}
