//! The web UI: server-rendered pages (maud) for signing in step by step (password, second
//! factor, forced password change, TOTP enrolment with recovery codes), a dashboard listing
//! the user's exchange keys, and logout.
//!
//! The pages call [`tradeward_auth::AuthService`] directly and set the same session cookie as
//! the API. No page carries script (the CSP forbids inline script, and none is needed): forms
//! post to the routes here, which answer with a page or a 303 redirect.
//!
//! Cross-site requests: the global Origin check applies, cookies are `SameSite=Strict`, and
//! every form carries the `__Host-tradeward_csrf` cookie's value in a hidden `csrf` field
//! (double submit; see [`form`]). A login in progress keeps its challenge in an `HttpOnly`
//! cookie, never in the page.

mod dashboard;
mod form;
mod login;
mod pages;
mod qr;
mod session;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// The stylesheet, served at `/static/app.css`.
const APP_CSS: &str = include_str!("../../static/app.css");

/// The UI's routes (merged beside `/api/v1` by [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::home))
        .route("/login", get(login::login_page).post(login::login))
        .route("/login/totp", get(login::totp_page).post(login::totp))
        .route("/login/recovery", post(login::recovery))
        .route(
            "/login/password",
            get(login::password_page).post(login::password),
        )
        .route("/login/enroll", get(login::enroll_page).post(login::enroll))
        .route("/logout", post(dashboard::logout))
        .route("/static/app.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS)
}
