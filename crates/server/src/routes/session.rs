//! `/session`: logging in step by step (password, second factor, forced password change)
//! and logging out. Every step answers with the login's next state; a completed login sets
//! the session cookie.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tradeward_auth::LoginOutcome;
use utoipa::ToSchema;

use super::dto::SecretInput;
use crate::cookies;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authenticated, Client};
use crate::state::AppState;

/// `POST /session`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email.
    pub email: String,
    /// Its password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretInput,
}

/// A login step's answer (`{challenge, code}`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeCode {
    /// The challenge from the previous step.
    #[schema(value_type = String)]
    pub challenge: SecretInput,
    /// The TOTP or recovery code.
    #[schema(value_type = String)]
    pub code: SecretInput,
}

/// `POST /session/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// The challenge from the previous step (or the setup link).
    #[schema(value_type = String)]
    pub challenge: SecretInput,
    /// The new password.
    #[schema(value_type = String, format = Password)]
    pub new_password: SecretInput,
}

/// Where a login stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginState {
    /// `authenticated`, `second_factor_required`, `password_change_required` or
    /// `second_factor_enrollment_required`.
    pub status: &'static str,
    /// The challenge that answers the next step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    /// Second factors that can answer `second_factor_required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<&'static str>>,
    /// With `authenticated`: the value to send as `X-CSRF-Token` on changes (also in the
    /// `__Host-tradeward_csrf` cookie).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// With `authenticated`: the new session's id (public: it names the session in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// Turns a login outcome into the response (and cookies).
pub(crate) fn outcome_response(outcome: LoginOutcome) -> Result<Response, ApiError> {
    let state = |status, challenge: Option<String>| LoginState {
        status,
        challenge,
        methods: None,
        csrf_token: None,
        session_id: None,
    };
    match outcome {
        LoginOutcome::Authenticated(session) => {
            let csrf = cookies::new_csrf_token();
            let mut headers = HeaderMap::new();
            for c in cookies::session_set(session.token.expose(), &csrf) {
                headers.append(header::SET_COOKIE, c);
            }
            let body = LoginState {
                csrf_token: Some(csrf),
                session_id: Some(session.session.id.to_string()),
                ..state("authenticated", None)
            };
            Ok((headers, Json(body)).into_response())
        }
        LoginOutcome::SecondFactorRequired { challenge, methods } => Ok(Json(LoginState {
            methods: Some(methods.iter().map(|m| m.as_str()).collect()),
            ..state(
                "second_factor_required",
                Some(challenge.expose().to_owned()),
            )
        })
        .into_response()),
        LoginOutcome::PasswordChangeRequired { challenge } => Ok(Json(state(
            "password_change_required",
            Some(challenge.expose().to_owned()),
        ))
        .into_response()),
        LoginOutcome::EnrollmentRequired { challenge } => Ok(Json(state(
            "second_factor_enrollment_required",
            Some(challenge.expose().to_owned()),
        ))
        .into_response()),
        LoginOutcome::Failed { retry_after } => {
            // The same answer for unknown accounts, wrong passwords and throttled attempts
            // alike: only the wait differs, and it is keyed by the email as typed.
            let err = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the email or password is wrong",
            );
            Err(if retry_after.is_zero() {
                err
            } else {
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    "the email or password is wrong, or there were too many attempts; wait \
                     before trying again",
                )
                .with_retry_after(retry_after)
            })
        }
    }
}

/// Logs in with an email and password.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = LoginState), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let outcome = state
        .auth()
        .login(&req.email, req.password.0, &ctx, state.now_us())
        .await?;
    outcome_response(outcome)
}

/// Completes the second-factor step with a TOTP code.
#[utoipa::path(post, path = "/api/v1/session/totp", tag = "session", request_body = ChallengeCode,
    responses((status = 200, body = LoginState), (status = 401, body = ErrorBody)))]
pub async fn totp(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<ChallengeCode>,
) -> Result<Response, ApiError> {
    let outcome = state
        .auth()
        .complete_totp(
            req.challenge.expose(),
            req.code.expose(),
            &ctx,
            state.now_us(),
        )
        .await?;
    outcome_response(outcome)
}

/// Completes the second-factor step with a single-use recovery code.
#[utoipa::path(post, path = "/api/v1/session/recovery-code", tag = "session",
    request_body = ChallengeCode,
    responses((status = 200, body = LoginState), (status = 401, body = ErrorBody)))]
pub async fn recovery_code(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<ChallengeCode>,
) -> Result<Response, ApiError> {
    let outcome = state
        .auth()
        .complete_recovery(
            req.challenge.expose(),
            req.code.expose(),
            &ctx,
            state.now_us(),
        )
        .await?;
    outcome_response(outcome)
}

/// Completes a forced password change (or a setup link).
#[utoipa::path(post, path = "/api/v1/session/password", tag = "session", request_body = NewPassword,
    responses((status = 200, body = LoginState), (status = 401, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn password(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<NewPassword>,
) -> Result<Response, ApiError> {
    let outcome = state
        .auth()
        .complete_password_change(
            req.challenge.expose(),
            req.new_password.0,
            &ctx,
            state.now_us(),
        )
        .await?;
    outcome_response(outcome)
}

/// Logs out (ends this session, clears the cookies).
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
) -> Result<Response, ApiError> {
    let principal = who.session()?;
    state.auth().logout(principal, &ctx, state.now_us()).await?;
    let mut headers = HeaderMap::new();
    for c in cookies::cleared() {
        headers.append(header::SET_COOKIE, c);
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}
