//! `/me`: the caller's own second factor, sessions and step-up.
//!
//! TOTP enrolment works from a session, or, during a login that answered
//! `second_factor_enrollment_required`, from that answer's challenge; a confirmation by
//! challenge completes the login.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tradeward_auth::Via;
use utoipa::ToSchema;

use super::dto::{rfc3339, SecretInput};
use super::session::{outcome_response, LoginState};
use crate::cookies;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse, ApiJson, Authenticated, Client};
use crate::state::AppState;

/// `POST /me/totp` (body optional with a session).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BeginTotp {
    /// The enrolment challenge of a login in progress, instead of a session.
    #[schema(value_type = Option<String>)]
    pub challenge: Option<SecretInput>,
}

/// What to put in an authenticator app. Shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpSecret {
    /// The seed, base32.
    pub secret: String,
    /// The `otpauth://` URI for a QR code.
    pub otpauth_uri: String,
}

/// `POST /me/totp/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTotp {
    /// A current code from the authenticator.
    #[schema(value_type = String)]
    pub code: SecretInput,
    /// The enrolment challenge of a login in progress, instead of a session.
    #[schema(value_type = Option<String>)]
    pub challenge: Option<SecretInput>,
}

/// The recovery codes, shown once; with a login's next step when confirmed by challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpConfirmed {
    /// Ten single-use recovery codes.
    pub recovery_codes: Vec<String>,
    /// The login's next step (when confirmed by challenge).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<LoginState>,
}

/// One of the caller's sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// Its id (revoke with `DELETE /me/sessions/{id}`).
    pub id: String,
    /// Login time.
    pub created_at: String,
    /// Last request.
    pub last_seen_at: String,
    /// Absolute deadline.
    pub expires_at: String,
    /// The login's address.
    pub source_addr: Option<String>,
    /// The login's User-Agent.
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// `POST /me/step-up`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUp {
    /// The password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretInput,
    /// A TOTP code (required when a second factor is enrolled).
    #[schema(value_type = Option<String>)]
    pub code: Option<SecretInput>,
}

/// A successful step-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct SteppedUp {
    /// `ok`.
    pub status: &'static str,
    /// Until when sensitive actions are unlocked.
    pub valid_until: String,
}

fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse(body)
    }
}

/// Starts TOTP enrolment.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "me", request_body = Option<BeginTotp>,
    responses((status = 200, body = TotpSecret), (status = 401, body = ErrorBody)))]
pub async fn begin_totp(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Option<Authenticated>,
    body: Bytes,
) -> Result<Json<TotpSecret>, ApiError> {
    let req: BeginTotp = optional_body(&body)?;
    let now = state.now_us();
    let enrollment = match (req.challenge, who) {
        (Some(challenge), _) => {
            state
                .auth()
                .begin_totp_enrollment_for_login(challenge.expose(), &ctx, now)
                .await?
        }
        (None, Some(who)) => {
            state
                .auth()
                .begin_totp_enrollment(who.session()?, &ctx, now)
                .await?
        }
        (None, None) => return Err(ApiError::unauthenticated()),
    };
    Ok(Json(TotpSecret {
        secret: enrollment.secret.expose().to_owned(),
        otpauth_uri: enrollment.otpauth_uri.expose().to_owned(),
    }))
}

/// Confirms TOTP enrolment with a first code; returns the recovery codes.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "me", request_body = ConfirmTotp,
    responses((status = 200, body = TotpConfirmed), (status = 401, body = ErrorBody)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Option<Authenticated>,
    ApiJson(req): ApiJson<ConfirmTotp>,
) -> Result<Response, ApiError> {
    let now = state.now_us();
    let codes_of = |codes: Vec<tradeward_vault::SecretString>| {
        codes.iter().map(|c| c.expose().to_owned()).collect()
    };
    match (req.challenge, who) {
        (Some(challenge), _) => {
            let (codes, outcome) = state
                .auth()
                .confirm_totp_enrollment_for_login(challenge.expose(), req.code.expose(), &ctx, now)
                .await?;
            // The login's answer carries the cookies; its body gains the recovery codes.
            let login = outcome_response(outcome)?;
            let (parts, body) = login.into_parts();
            let bytes = axum::body::to_bytes(body, 64 * 1024)
                .await
                .map_err(|e| ApiError::internal(&e))?;
            let state_body: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(&e))?;
            let body = serde_json::json!({
                "recovery_codes": codes_of(codes),
                "login": state_body,
            });
            Ok((parts.status, parts.headers, Json(body)).into_response())
        }
        (None, Some(who)) => {
            let codes = state
                .auth()
                .confirm_totp_enrollment(who.session()?, req.code.expose(), &ctx, now)
                .await?;
            Ok(Json(TotpConfirmed {
                recovery_codes: codes_of(codes),
                login: None,
            })
            .into_response())
        }
        (None, None) => Err(ApiError::unauthenticated()),
    }
}

/// The caller's sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me",
    responses((status = 200, body = Vec<SessionInfo>), (status = 401, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    let current = who.0.session_id();
    let rows = state.auth().list_sessions(&who.0).await?;
    Ok(Json(
        rows.into_iter()
            .map(|s| SessionInfo {
                id: s.id.to_string(),
                created_at: rfc3339(s.created_at_us),
                last_seen_at: rfc3339(s.last_seen_at_us),
                expires_at: rfc3339(s.expires_at_us),
                source_addr: s.source_addr,
                user_agent: s.user_agent,
                current: s.id == current,
            })
            .collect(),
    ))
}

/// Revokes one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "me",
    params(("id" = String, Path, description = "session id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let principal = who.session()?;
    let id = id.parse().map_err(|_| ApiError::not_found("session"))?;
    state
        .auth()
        .revoke_session(principal, id, &ctx, state.now_us())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Re-authenticates (password, and a TOTP code when enrolled) to unlock sensitive actions
/// for a few minutes. The session cookie is replaced.
#[utoipa::path(post, path = "/api/v1/me/step-up", tag = "me", request_body = StepUp,
    responses((status = 200, body = SteppedUp), (status = 401, body = ErrorBody)))]
pub async fn step_up(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    ApiJson(req): ApiJson<StepUp>,
) -> Result<Response, ApiError> {
    let principal = who.session()?;
    let now = state.now_us();
    let token = state
        .auth()
        .step_up(
            principal,
            req.password.0,
            req.code.as_ref().map(|c| c.expose()),
            &ctx,
            now,
        )
        .await?;
    let window = i64::try_from(state.auth().config().step_up_window.as_micros()).unwrap_or(0);
    debug_assert!(matches!(principal.via, Via::Session(_)));
    let mut headers = HeaderMap::new();
    for c in cookies::session_only(token.expose()) {
        headers.append(header::SET_COOKIE, c);
    }
    Ok((
        headers,
        Json(SteppedUp {
            status: "ok",
            valid_until: rfc3339(now.saturating_add(window)),
        }),
    )
        .into_response())
}
