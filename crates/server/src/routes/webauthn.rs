//! WebAuthn (passkeys, security keys) over HTTP: each ceremony is a `begin` that returns the
//! options for `navigator.credentials.create` / `.get` and a `finish` that takes the
//! authenticator's response as the browser's `PublicKeyCredential` JSON (binary fields
//! base64url).
//!
//! - `POST /session/webauthn/begin|finish`: the second-factor step of a login (the
//!   `challenge` from `second_factor_required`).
//! - `POST /me/webauthn/register/begin|finish`: add a credential, from a session, or during a
//!   login that answered `second_factor_enrollment_required` (its `challenge` in the body; a
//!   successful finish then completes the login).
//! - `GET /me/webauthn`, `DELETE /me/webauthn/{id}` (step-up).
//! - `POST /me/step-up/webauthn/begin`, `POST /me/step-up/webauthn`: step-up with the password
//!   and an assertion.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tradeward_auth::webauthn::{PublicKeyCredential, RegisterPublicKeyCredential};
use tradeward_auth::AuthError;
use tradeward_store::WebauthnCredentialRow;
use utoipa::ToSchema;

use super::dto::{rfc3339, SecretInput};
use super::me::SteppedUp;
use super::session::{outcome_response, LoginState};
use crate::cookies;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse, ApiJson, Authenticated, Client};
use crate::state::AppState;

/// A login's second-factor challenge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginChallenge {
    /// The challenge from `second_factor_required`.
    #[schema(value_type = String)]
    pub challenge: SecretInput,
}

/// `begin` answers: the options to hand to the WebAuthn browser API.
#[derive(Debug, Serialize, ToSchema)]
pub struct CeremonyOptions {
    /// `{"publicKey": {...}}` for `navigator.credentials.create` or `.get` (binary fields
    /// base64url).
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// `POST /session/webauthn/finish`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginAssertion {
    /// The challenge from `second_factor_required`.
    #[schema(value_type = String)]
    pub challenge: SecretInput,
    /// The `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// `POST /me/webauthn/register/begin` (body optional with a session).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BeginRegistration {
    /// The enrolment challenge of a login in progress, instead of a session.
    #[schema(value_type = Option<String>)]
    pub challenge: Option<SecretInput>,
}

/// `POST /me/webauthn/register/finish`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishRegistration {
    /// A name for the authenticator (1 to 64 characters).
    pub name: String,
    /// The `PublicKeyCredential` from `navigator.credentials.create`, as JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// The enrolment challenge of a login in progress, instead of a session.
    #[schema(value_type = Option<String>)]
    pub challenge: Option<SecretInput>,
}

/// A registered credential (public data only).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebauthnCredentialInfo {
    /// Its id (remove with `DELETE /me/webauthn/{id}`).
    pub id: String,
    /// The user's name for it.
    pub name: String,
    /// Registration time.
    pub created_at: String,
    /// Last successful use.
    pub last_used_at: Option<String>,
}

/// A registration's answer; with the login's next step when registered by challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    /// The new credential.
    pub credential: WebauthnCredentialInfo,
    /// Ten single-use recovery codes, shown once, when this is the account's first second
    /// factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
    /// The login's next step (when registered by challenge).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<LoginState>,
}

/// `POST /me/step-up/webauthn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpAssertion {
    /// The password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretInput,
    /// The `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

fn codes(codes: Option<Vec<tradeward_vault::SecretString>>) -> Option<Vec<String>> {
    codes.map(|c| c.iter().map(|s| s.expose().to_owned()).collect())
}

fn info(row: WebauthnCredentialRow) -> WebauthnCredentialInfo {
    WebauthnCredentialInfo {
        id: row.id,
        name: row.name,
        created_at: rfc3339(row.created_at_us),
        last_used_at: row.last_used_at_us.map(rfc3339),
    }
}

/// The authenticator's response, parsed; the error names no part of it.
fn response<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|_| {
        ApiError::from(AuthError::InvalidWebauthn(
            "`credential` is not a WebAuthn PublicKeyCredential",
        ))
    })
}

fn options<T: Serialize>(value: &T) -> Result<Json<CeremonyOptions>, ApiError> {
    Ok(Json(CeremonyOptions {
        options: serde_json::to_value(value).map_err(|e| ApiError::internal(&e))?,
    }))
}

/// Begins the WebAuthn answer to a login's second-factor step.
#[utoipa::path(post, path = "/api/v1/session/webauthn/begin", tag = "session",
    request_body = LoginChallenge,
    responses((status = 200, body = CeremonyOptions), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn login_begin(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginChallenge>,
) -> Result<Json<CeremonyOptions>, ApiError> {
    let opts = state
        .auth()
        .begin_webauthn_login(req.challenge.expose(), state.now_us())
        .await?;
    options(&opts)
}

/// Completes a login's second-factor step with a WebAuthn assertion.
#[utoipa::path(post, path = "/api/v1/session/webauthn/finish", tag = "session",
    request_body = LoginAssertion,
    responses((status = 200, body = LoginState), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn login_finish(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<LoginAssertion>,
) -> Result<Response, ApiError> {
    let credential: PublicKeyCredential = response(req.credential)?;
    let outcome = state
        .auth()
        .complete_webauthn(req.challenge.expose(), &credential, &ctx, state.now_us())
        .await?;
    outcome_response(outcome)
}

/// Begins registering a passkey or security key.
#[utoipa::path(post, path = "/api/v1/me/webauthn/register/begin", tag = "me",
    request_body = Option<BeginRegistration>,
    responses((status = 200, body = CeremonyOptions), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn register_begin(
    State(state): State<AppState>,
    who: Option<Authenticated>,
    body: Bytes,
) -> Result<Json<CeremonyOptions>, ApiError> {
    let req: BeginRegistration = if body.iter().all(u8::is_ascii_whitespace) {
        BeginRegistration::default()
    } else {
        parse(&body)?
    };
    let now = state.now_us();
    let opts = match (req.challenge, who) {
        (Some(challenge), _) => {
            state
                .auth()
                .begin_webauthn_registration_for_login(challenge.expose(), now)
                .await?
        }
        (None, Some(who)) => {
            state
                .auth()
                .begin_webauthn_registration(who.session()?, now)
                .await?
        }
        (None, None) => return Err(ApiError::unauthenticated()),
    };
    options(&opts)
}

/// Finishes registering a passkey or security key.
#[utoipa::path(post, path = "/api/v1/me/webauthn/register/finish", tag = "me",
    request_body = FinishRegistration,
    responses((status = 200, body = Registered), (status = 401, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn register_finish(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Option<Authenticated>,
    ApiJson(req): ApiJson<FinishRegistration>,
) -> Result<Response, ApiError> {
    let credential: RegisterPublicKeyCredential = response(req.credential)?;
    let now = state.now_us();
    match (req.challenge, who) {
        (Some(challenge), _) => {
            let (registered, outcome) = state
                .auth()
                .finish_webauthn_registration_for_login(
                    challenge.expose(),
                    &req.name,
                    &credential,
                    &ctx,
                    now,
                )
                .await?;
            // The login's answer carries the cookies; its body gains the credential.
            let login = outcome_response(outcome)?;
            let (parts, body) = login.into_parts();
            let bytes = axum::body::to_bytes(body, 64 * 1024)
                .await
                .map_err(|e| ApiError::internal(&e))?;
            let login: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(&e))?;
            let body = serde_json::json!({
                "credential": info(registered.credential),
                "recovery_codes": codes(registered.recovery_codes),
                "login": login,
            });
            Ok((parts.status, parts.headers, Json(body)).into_response())
        }
        (None, Some(who)) => {
            let registered = state
                .auth()
                .finish_webauthn_registration(who.session()?, &req.name, &credential, &ctx, now)
                .await?;
            Ok(Json(Registered {
                credential: info(registered.credential),
                recovery_codes: codes(registered.recovery_codes),
                login: None,
            })
            .into_response())
        }
        (None, None) => Err(ApiError::unauthenticated()),
    }
}

/// The caller's passkeys and security keys.
#[utoipa::path(get, path = "/api/v1/me/webauthn", tag = "me",
    responses((status = 200, body = Vec<WebauthnCredentialInfo>),
              (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<Vec<WebauthnCredentialInfo>>, ApiError> {
    let rows = state
        .auth()
        .list_webauthn_credentials(who.session()?)
        .await?;
    Ok(Json(rows.into_iter().map(info).collect()))
}

/// Removes a passkey or security key (needs step-up).
#[utoipa::path(delete, path = "/api/v1/me/webauthn/{id}", tag = "me",
    params(("id" = String, Path, description = "credential id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .remove_webauthn_credential(who.session()?, &id, &ctx, state.now_us())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Begins a step-up with a WebAuthn assertion.
#[utoipa::path(post, path = "/api/v1/me/step-up/webauthn/begin", tag = "me",
    responses((status = 200, body = CeremonyOptions), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn step_up_begin(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<CeremonyOptions>, ApiError> {
    let opts = state
        .auth()
        .begin_webauthn_step_up(who.session()?, state.now_us())
        .await?;
    options(&opts)
}

/// Steps up with the password and a WebAuthn assertion; the session cookie is replaced.
#[utoipa::path(post, path = "/api/v1/me/step-up/webauthn", tag = "me",
    request_body = StepUpAssertion,
    responses((status = 200, body = SteppedUp), (status = 401, body = ErrorBody)))]
pub async fn step_up(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    ApiJson(req): ApiJson<StepUpAssertion>,
) -> Result<Response, ApiError> {
    let principal = who.session()?;
    let credential: PublicKeyCredential = response(req.credential)?;
    let now = state.now_us();
    let token = state
        .auth()
        .step_up_webauthn(principal, req.password.0, &credential, &ctx, now)
        .await?;
    let window = i64::try_from(state.auth().config().step_up_window.as_micros()).unwrap_or(0);
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
