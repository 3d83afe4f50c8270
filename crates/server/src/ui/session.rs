//! What the UI keeps in cookies between pages, and the shapes of its answers.
//!
//! - The CSRF token: the API's `__Host-tradeward_csrf` cookie, created on the first page when
//!   absent (a login form needs one before any session exists) and echoed in each form.
//! - A login in progress: its challenge in `__Host-tradeward_login` (`HttpOnly`, ten minutes),
//!   so the challenge never appears in a page, a URL or a log.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::Markup;
use tradeward_auth::{AuthError, LoginOutcome};

use crate::cookies;

/// The cookie that carries a login's challenge between steps.
pub const LOGIN_COOKIE: &str = "__Host-tradeward_login";

/// Seconds a login challenge cookie lives (the auth service's challenge TTL bounds it anyway).
const LOGIN_COOKIE_SECS: u32 = 600;

/// The CSRF token to put in this page's forms, and a `Set-Cookie` when the browser had none.
pub fn csrf_for(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookies::read(headers, cookies::CSRF_COOKIE).filter(|t| !t.is_empty()) {
        Some(token) => (token, None),
        None => {
            let token = cookies::new_csrf_token();
            let set = HeaderValue::from_str(&format!(
                "{}={token}; Path=/; Secure; SameSite=Strict",
                cookies::CSRF_COOKIE
            ))
            .ok();
            (token, set)
        }
    }
}

/// The challenge of the login in progress, if any.
pub fn login_challenge(headers: &HeaderMap) -> Option<String> {
    cookies::read(headers, LOGIN_COOKIE).filter(|c| !c.is_empty())
}

fn login_cookie(challenge: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={challenge}; Path=/; Secure; HttpOnly; SameSite=Strict; \
         Max-Age={LOGIN_COOKIE_SECS}"
    ))
    .ok()
}

fn login_cookie_cleared() -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"
    ))
    .ok()
}

/// A page, with cookies to set.
pub fn page(status: StatusCode, set_cookies: Vec<HeaderValue>, body: Markup) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    for c in set_cookies {
        headers.append(header::SET_COOKIE, c);
    }
    (status, headers, body.into_string()).into_response()
}

/// A 303 to `location`, with cookies to set.
pub fn redirect(location: &'static str, set_cookies: Vec<HeaderValue>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::LOCATION, HeaderValue::from_static(location));
    for c in set_cookies {
        headers.append(header::SET_COOKIE, c);
    }
    (StatusCode::SEE_OTHER, headers).into_response()
}

/// Where a login goes next.
#[derive(Debug)]
pub enum Next {
    /// Signed in: these cookies establish the session (and clear the login cookie).
    SignedIn(Vec<HeaderValue>),
    /// Another step, at this page, with these cookies.
    Step(&'static str, Vec<HeaderValue>),
    /// Wrong email or password, or throttled: say so on the login page.
    Failed(&'static str),
}

/// Maps a login outcome to the UI's next step.
pub fn next_step(outcome: LoginOutcome) -> Next {
    let step = |to, challenge: &str| Next::Step(to, login_cookie(challenge).into_iter().collect());
    match outcome {
        LoginOutcome::Authenticated(session) => {
            let csrf = cookies::new_csrf_token();
            let mut set = cookies::session_set(session.token.expose(), &csrf);
            set.extend(login_cookie_cleared());
            Next::SignedIn(set)
        }
        LoginOutcome::SecondFactorRequired { challenge, .. } => {
            step("/login/totp", challenge.expose())
        }
        LoginOutcome::PasswordChangeRequired { challenge } => {
            step("/login/password", challenge.expose())
        }
        LoginOutcome::EnrollmentRequired { challenge } => step("/login/enroll", challenge.expose()),
        LoginOutcome::Failed { retry_after } => Next::Failed(if retry_after.is_zero() {
            "The email or password is wrong."
        } else {
            "The email or password is wrong, or there were too many attempts: wait a little \
             before trying again."
        }),
    }
}

/// What to tell a person about a failed step. Never quotes input; weak-password reasons are
/// the policy's own words.
pub fn explain(err: &AuthError) -> String {
    match err {
        AuthError::WeakPassword(reason) => format!("That password cannot be used: {reason}."),
        AuthError::InvalidCode => "That code is not right. Check the clock of your device and \
                                   try the current code."
            .into(),
        AuthError::InvalidChallenge | AuthError::Unauthenticated => {
            "This sign-in has expired or is no longer valid. Please start again.".into()
        }
        AuthError::Throttled { .. } => "Too many attempts: wait a little and try again.".into(),
        AuthError::Busy => "The server is busy: try again in a moment.".into(),
        AuthError::InvalidInput { .. } => "Some of what was entered is not valid.".into(),
        other => {
            tracing::error!(code = other.code(), "UI step failed");
            "The server failed; the event is logged.".into()
        }
    }
}

/// Whether a failed step means the login must start over (its challenge is gone).
pub fn must_restart(err: &AuthError) -> bool {
    matches!(
        err,
        AuthError::InvalidChallenge | AuthError::Unauthenticated
    )
}
