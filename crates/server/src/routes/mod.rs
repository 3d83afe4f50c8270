//! The API's routes under `/api/v1`, and the layers around them (outermost first: request
//! log, security headers, panic guard, Origin check, size and time limits).

pub mod admin;
pub mod balances;
pub mod credentials;
pub mod dto;
pub mod email;
pub mod email_pages;
pub mod incident;
pub mod markets;
pub mod me;
pub mod session;
pub mod stream;
pub mod tokens;
pub mod triggers;
pub mod webauthn;

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::{no_route, wrong_method, ApiError};
use crate::hygiene;
use crate::openapi;
use crate::state::AppState;

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/session", post(session::login).delete(session::logout))
        .route("/session/totp", post(session::totp))
        .route("/session/recovery-code", post(session::recovery_code))
        .route("/session/password", post(session::password))
        .route("/me/totp", post(me::begin_totp))
        .route("/me/totp/confirm", post(me::confirm_totp))
        .route("/me/sessions", get(me::list_sessions))
        .route("/me/sessions/{id}", delete(me::revoke_session))
        .route("/me/step-up", post(me::step_up))
        .route("/me/email", post(email::change_email))
        .route("/password-reset", post(email::request_reset))
        .route("/password-reset/complete", post(email::complete_reset))
        .route("/email-links/lockdown", post(email::lockdown))
        .route("/email-links/revert-email", post(email::revert_email))
        .route("/signup", post(email::signup))
        .route("/signup/verify", post(email::verify_signup))
        .route("/session/webauthn/begin", post(webauthn::login_begin))
        .route("/session/webauthn/finish", post(webauthn::login_finish))
        .route("/me/webauthn", get(webauthn::list))
        .route("/me/webauthn/{id}", delete(webauthn::remove))
        .route(
            "/me/webauthn/register/begin",
            post(webauthn::register_begin),
        )
        .route(
            "/me/webauthn/register/finish",
            post(webauthn::register_finish),
        )
        .route("/me/step-up/webauthn/begin", post(webauthn::step_up_begin))
        .route("/me/step-up/webauthn", post(webauthn::step_up))
        .route("/tokens", post(tokens::create).get(tokens::list))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route(
            "/credentials",
            post(credentials::create).get(credentials::list),
        )
        .route("/credentials/{id}", delete(credentials::delete))
        .route("/triggers", post(triggers::create).get(triggers::list))
        .route(
            "/triggers/{id}",
            get(triggers::get_one).delete(triggers::cancel),
        )
        .route(
            "/admin/trading",
            get(admin::get_trading).put(admin::put_trading),
        )
        .route(
            "/admin/force-password-reset",
            post(admin::force_password_reset),
        )
        .route("/admin/audit", get(incident::list_audit))
        .route("/admin/lockdown", post(incident::lockdown))
        .route("/balances", get(balances::list))
        .route("/markets", get(markets::list))
        .route("/markets/history", get(markets::history))
        .route("/stream", get(stream::open))
        .route("/openapi.json", get(openapi::document))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method);
    let limit = state.http().max_body_bytes;
    Router::new()
        .nest("/api/v1", api)
        .merge(crate::ui::routes())
        .merge(email_pages::routes())
        .route("/metrics", get(crate::metrics::serve))
        .route("/healthz", get(crate::metrics::healthz))
        .route("/readyz", get(crate::metrics::readyz))
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(limit))
        .layer(from_fn_with_state(state.clone(), hygiene::limits))
        .layer(from_fn_with_state(state.clone(), hygiene::origin_check))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn(hygiene::security_headers))
        .layer(from_fn(hygiene::log_request))
        .with_state(state)
}

/// A handler panicked (a bug): answer 500 in the API's shape; the panic message (which could
/// quote data) is not echoed.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal(&"a request handler panicked").into_response()
}
