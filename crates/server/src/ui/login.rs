//! The sign-in steps: password, second factor (TOTP or recovery code), forced password
//! change, and TOTP enrolment when the deployment requires a second factor.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tradeward_auth::AuthError;

use super::form::UiForm;
use super::pages;
use super::session::{
    csrf_for, explain, login_challenge, must_restart, next_step, page, redirect, Next,
};
use crate::extract::Client;
use crate::routes::dto::SecretInput;
use crate::state::AppState;

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: SecretInput,
}

/// A code's field (TOTP or recovery code).
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: SecretInput,
}

/// The new password's fields.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    new_password: SecretInput,
    confirm: SecretInput,
}

/// `GET /login`.
pub async fn login_page(headers: HeaderMap) -> Response {
    let (csrf, set) = csrf_for(&headers);
    page(
        StatusCode::OK,
        set.into_iter().collect(),
        pages::login(&csrf, "", None),
    )
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    UiForm(form): UiForm<LoginForm>,
) -> Response {
    let (csrf, _) = csrf_for(&headers);
    let result = state
        .auth()
        .login(&form.email, form.password.0, &ctx, state.now_us())
        .await;
    match result {
        Ok(outcome) => follow(next_step(outcome), &csrf, &form.email),
        Err(e) => page(
            status_of(&e),
            Vec::new(),
            pages::login(&csrf, &form.email, Some(&explain(&e))),
        ),
    }
}

fn follow(next: Next, csrf: &str, email: &str) -> Response {
    match next {
        Next::SignedIn(set) => redirect("/", set),
        Next::Step(to, set) => redirect(to, set),
        Next::Failed(message) => page(
            StatusCode::UNAUTHORIZED,
            Vec::new(),
            pages::login(csrf, email, Some(message)),
        ),
    }
}

fn status_of(e: &AuthError) -> StatusCode {
    match e {
        AuthError::WeakPassword(_) | AuthError::InvalidInput { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        AuthError::InvalidCode | AuthError::InvalidChallenge | AuthError::Unauthenticated => {
            StatusCode::UNAUTHORIZED
        }
        AuthError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AuthError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A failed step: back to the sign-in form when the login is gone, else the same page again.
fn step_failed(e: &AuthError, csrf: &str, again: impl FnOnce(&str) -> maud::Markup) -> Response {
    if must_restart(e) {
        page(
            status_of(e),
            Vec::new(),
            pages::login(csrf, "", Some(&explain(e))),
        )
    } else {
        page(status_of(e), Vec::new(), again(&explain(e)))
    }
}

fn no_login(csrf: &str) -> Response {
    page(
        StatusCode::UNAUTHORIZED,
        Vec::new(),
        pages::login(csrf, "", Some("Please sign in first.")),
    )
}

/// `GET /login/totp`.
pub async fn totp_page(headers: HeaderMap) -> Response {
    let (csrf, set) = csrf_for(&headers);
    if login_challenge(&headers).is_none() {
        return redirect("/login", Vec::new());
    }
    page(
        StatusCode::OK,
        set.into_iter().collect(),
        pages::totp(&csrf, None),
    )
}

/// `POST /login/totp`.
pub async fn totp(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    UiForm(form): UiForm<CodeForm>,
) -> Response {
    let (csrf, _) = csrf_for(&headers);
    let Some(challenge) = login_challenge(&headers) else {
        return no_login(&csrf);
    };
    let code: String = form
        .code
        .expose()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match state
        .auth()
        .complete_totp(&challenge, &code, &ctx, state.now_us())
        .await
    {
        Ok(outcome) => follow(next_step(outcome), &csrf, ""),
        Err(e) => step_failed(&e, &csrf, |m| pages::totp(&csrf, Some(m))),
    }
}

/// `POST /login/recovery`.
pub async fn recovery(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    UiForm(form): UiForm<CodeForm>,
) -> Response {
    let (csrf, _) = csrf_for(&headers);
    let Some(challenge) = login_challenge(&headers) else {
        return no_login(&csrf);
    };
    match state
        .auth()
        .complete_recovery(&challenge, form.code.expose(), &ctx, state.now_us())
        .await
    {
        Ok(outcome) => follow(next_step(outcome), &csrf, ""),
        Err(e) => step_failed(&e, &csrf, |m| pages::totp(&csrf, Some(m))),
    }
}

/// `GET /login/password`.
pub async fn password_page(headers: HeaderMap) -> Response {
    let (csrf, set) = csrf_for(&headers);
    if login_challenge(&headers).is_none() {
        return redirect("/login", Vec::new());
    }
    page(
        StatusCode::OK,
        set.into_iter().collect(),
        pages::password(&csrf, None),
    )
}

/// `POST /login/password`.
pub async fn password(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    UiForm(form): UiForm<PasswordForm>,
) -> Response {
    let (csrf, _) = csrf_for(&headers);
    let Some(challenge) = login_challenge(&headers) else {
        return no_login(&csrf);
    };
    let (a, b) = (form.new_password.expose(), form.confirm.expose());
    let same = a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()));
    if !same {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Vec::new(),
            pages::password(&csrf, Some("The two passwords differ.")),
        );
    }
    match state
        .auth()
        .complete_password_change(&challenge, form.new_password.0, &ctx, state.now_us())
        .await
    {
        Ok(outcome) => follow(next_step(outcome), &csrf, ""),
        Err(e) => step_failed(&e, &csrf, |m| pages::password(&csrf, Some(m))),
    }
}

/// `GET /login/enroll`: starts (or restarts) enrolment and shows the new seed once.
pub async fn enroll_page(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
) -> Response {
    let (csrf, set) = csrf_for(&headers);
    let Some(challenge) = login_challenge(&headers) else {
        return redirect("/login", Vec::new());
    };
    match state
        .auth()
        .begin_totp_enrollment_for_login(&challenge, &ctx, state.now_us())
        .await
    {
        Ok(enrollment) => match super::qr::svg(enrollment.otpauth_uri.expose()) {
            Ok(svg) => page(
                StatusCode::OK,
                set.into_iter().collect(),
                pages::enroll(&csrf, &svg, enrollment.secret.expose(), None),
            ),
            Err(message) => page(
                StatusCode::INTERNAL_SERVER_ERROR,
                Vec::new(),
                pages::problem(StatusCode::INTERNAL_SERVER_ERROR, message),
            ),
        },
        Err(e) => page(
            status_of(&e),
            set.into_iter().collect(),
            pages::login(&csrf, "", Some(&explain(&e))),
        ),
    }
}

/// `POST /login/enroll`: confirms the seed with a first code, completes the login, and shows
/// the recovery codes once.
pub async fn enroll(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    UiForm(form): UiForm<CodeForm>,
) -> Response {
    let (csrf, _) = csrf_for(&headers);
    let Some(challenge) = login_challenge(&headers) else {
        return no_login(&csrf);
    };
    let code: String = form
        .code
        .expose()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let result = state
        .auth()
        .confirm_totp_enrollment_for_login(&challenge, &code, &ctx, state.now_us())
        .await;
    match result {
        Ok((codes, outcome)) => match next_step(outcome) {
            Next::SignedIn(set) => {
                // The new session's CSRF token is in the cookie just set; the page's sign-out
                // form must carry that one.
                let new_csrf = set
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find_map(|v| {
                        v.strip_prefix(crate::cookies::CSRF_COOKIE)
                            .and_then(|r| r.strip_prefix('='))
                            .and_then(|r| r.split(';').next())
                    })
                    .unwrap_or_default()
                    .to_owned();
                let shown: Vec<String> = codes.iter().map(|c| c.expose().to_owned()).collect();
                page(
                    StatusCode::OK,
                    set,
                    pages::recovery_codes(&new_csrf, &shown),
                )
            }
            other => follow(other, &csrf, ""),
        },
        Err(AuthError::InvalidCode) => {
            // A wrong first code: the seed shown stays valid, but it is not shown again
            // (GET /login/enroll starts over with a fresh one).
            page(
                StatusCode::UNAUTHORIZED,
                Vec::new(),
                pages::problem(
                    StatusCode::UNAUTHORIZED,
                    "That code is not right. Go back to try again, or reload the setup page \
                     for a new key.",
                ),
            )
        }
        Err(e) => step_failed(&e, &csrf, |m| pages::problem(status_of(&e), m)),
    }
}
