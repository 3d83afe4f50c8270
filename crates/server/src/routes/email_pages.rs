//! The pages an emailed link opens: `/email/lockdown`, `/email/reset`,
//! `/email/revert-email` and `/email/verify`, each `?token=...`.
//!
//! Opening a link (GET) never changes anything: mail scanners and link previews fetch links
//! on their own, and a prefetch must not lock an account down or use up a link. The page
//! shows one button (the reset page, a new-password field) that posts the token back; that
//! POST does the work. Tokens are taken from the query, never logged (the request log has
//! no query string), and the pages are `no-store` with no referrer.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;
use tradeward_auth::AuthError;

use super::dto::SecretInput;
use crate::error::ApiError;
use crate::extract::Client;
use crate::state::AppState;

/// The link pages' routes (merged beside `/api/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/email/lockdown", get(lockdown_page).post(lockdown))
        .route("/email/reset", get(reset_page).post(reset))
        .route("/email/revert-email", get(revert_page).post(revert))
        .route("/email/verify", get(verify_page).post(verify))
}

/// `?token=...` of a link, or the form field of the page's button.
#[derive(Debug, Deserialize)]
pub struct TokenParam {
    token: Option<SecretInput>,
}

/// The reset page's form.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    token: Option<SecretInput>,
    new_password: Option<SecretInput>,
}

fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Tradeward" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.top { a.brand href="/" { "Tradeward" } }
                main { section.card { h1 { (title) } (body) } }
            }
        }
    };
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// A page for an error: its status and a message for a person (never a secret).
fn problem(e: AuthError) -> Response {
    // AuthError messages are written for the person making the request; internal ones
    // (storage, vault, audit) are not shown: ApiError logs them and its code says so.
    let shown = e.to_string();
    let api = ApiError::from(e);
    let message = match api.code() {
        "invalid_link" => "This link is unknown, was already used, or has expired.".to_owned(),
        "internal" => "Something went wrong on the server; try again later.".to_owned(),
        _ => shown,
    };
    page(
        api.status(),
        "This link cannot be used",
        html! { p.error role="alert" { (message) } },
    )
}

fn missing_token() -> Response {
    problem(AuthError::InvalidLink)
}

/// One button that posts the token back.
fn confirm(action: &str, token: &str, explain: &str, button: &str) -> Markup {
    html! {
        p { (explain) }
        form method="post" action=(action) {
            input type="hidden" name="token" value=(token);
            button type="submit" { (button) }
        }
    }
}

async fn lockdown_page(Query(q): Query<TokenParam>) -> Response {
    let Some(token) = q.token else {
        return missing_token();
    };
    page(
        StatusCode::OK,
        "Lock your account down",
        confirm(
            "/email/lockdown",
            token.expose(),
            "This signs out every session, turns trading off for your account and makes you \
             choose a new password (your second factor is still asked) before you can sign \
             in again.",
            "Lock my account down",
        ),
    )
}

async fn lockdown(
    State(state): State<AppState>,
    Client(ctx): Client,
    Form(f): Form<TokenParam>,
) -> Response {
    let Some(token) = f.token else {
        return missing_token();
    };
    match state
        .auth()
        .lockdown_with_link(token.expose(), &ctx, state.now_us())
        .await
    {
        Ok(done) => page(
            StatusCode::OK,
            "Your account is locked down",
            html! {
                p { "Sessions signed out: " (done.sessions_revoked) ". Trading is off for your \
                     account. Sign in to choose a new password." }
                p { a href="/login" { "Sign in" } }
            },
        ),
        Err(e) => problem(e),
    }
}

fn reset_form(token: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        p { "Choose a new password: at least 12 characters; a passphrase of a few unrelated \
             words is good. Signing in afterwards still asks for your second factor." }
        form method="post" action="/email/reset" {
            input type="hidden" name="token" value=(token);
            label for="new_password" { "New password" }
            input #new_password type="password" name="new_password" required minlength="12"
                maxlength="128" autocomplete="new-password" autofocus;
            button type="submit" { "Set the new password" }
        }
    }
}

async fn reset_page(Query(q): Query<TokenParam>) -> Response {
    let Some(token) = q.token else {
        return missing_token();
    };
    page(
        StatusCode::OK,
        "Reset your password",
        reset_form(token.expose(), None),
    )
}

async fn reset(
    State(state): State<AppState>,
    Client(ctx): Client,
    Form(f): Form<ResetForm>,
) -> Response {
    let (Some(token), Some(password)) = (f.token, f.new_password) else {
        return missing_token();
    };
    match state
        .auth()
        .complete_password_reset(token.expose(), password.0, &ctx, state.now_us())
        .await
    {
        Ok(()) => page(
            StatusCode::OK,
            "Your password was changed",
            html! {
                p { "Every session was signed out. Sign in with the new password; your second \
                     factor is still asked." }
                p { a href="/login" { "Sign in" } }
            },
        ),
        Err(AuthError::WeakPassword(r)) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Reset your password",
            reset_form(
                token.expose(),
                Some(&format!("That password was refused: {r}.")),
            ),
        ),
        Err(e) => problem(e),
    }
}

async fn revert_page(Query(q): Query<TokenParam>) -> Response {
    let Some(token) = q.token else {
        return missing_token();
    };
    page(
        StatusCode::OK,
        "Put your address back",
        confirm(
            "/email/revert-email",
            token.expose(),
            "This makes this address the account's sign-in address again, signs out every \
             session and makes you choose a new password at the next sign-in.",
            "Put my address back",
        ),
    )
}

async fn revert(
    State(state): State<AppState>,
    Client(ctx): Client,
    Form(f): Form<TokenParam>,
) -> Response {
    let Some(token) = f.token else {
        return missing_token();
    };
    match state
        .auth()
        .revert_email_change(token.expose(), &ctx, state.now_us())
        .await
    {
        Ok(_) => page(
            StatusCode::OK,
            "Your address is back",
            html! {
                p { "Every session was signed out. Sign in to choose a new password." }
                p { a href="/login" { "Sign in" } }
            },
        ),
        Err(e) => problem(e),
    }
}

async fn verify_page(Query(q): Query<TokenParam>) -> Response {
    let Some(token) = q.token else {
        return missing_token();
    };
    page(
        StatusCode::OK,
        "Confirm your account",
        confirm(
            "/email/verify",
            token.expose(),
            "This creates your Tradeward account with the password you chose.",
            "Create my account",
        ),
    )
}

async fn verify(
    State(state): State<AppState>,
    Client(ctx): Client,
    Form(f): Form<TokenParam>,
) -> Response {
    let Some(token) = f.token else {
        return missing_token();
    };
    match state
        .auth()
        .verify_signup(token.expose(), &ctx, state.now_us())
        .await
    {
        Ok(_) => page(
            StatusCode::CREATED,
            "Your account is ready",
            html! { p { a href="/login" { "Sign in" } } },
        ),
        Err(e) => problem(e),
    }
}
