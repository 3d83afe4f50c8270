//! The API side of the emailed links and of what sends them: password reset by email,
//! the lockdown and email-change revert links, changing the signed-in user's address, and
//! open sign-up with email verification. The browser pages the links open are in
//! [`super::email_pages`]; both call the same [`tradeward_auth::AuthService`] methods.
//!
//! Answers never reveal whether an address has an account: a reset request or a sign-up
//! answers `202` the same either way (the mail differs).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{SecretInput, StatusBody};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authenticated, Client};
use crate::state::AppState;

/// `POST /password-reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's email.
    pub email: String,
}

/// A link's token (from the `token` query parameter of an emailed link).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkToken {
    /// The token.
    #[schema(value_type = String)]
    pub token: SecretInput,
}

/// `POST /password-reset/complete`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetComplete {
    /// The token of the emailed reset link.
    #[schema(value_type = String)]
    pub token: SecretInput,
    /// The new password.
    #[schema(value_type = String, format = Password)]
    pub new_password: SecretInput,
}

/// `POST /me/email`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmail {
    /// The new sign-in address.
    pub email: String,
}

/// `POST /signup`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The address (a confirmation link is sent to it).
    pub email: String,
    /// The password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretInput,
}

/// What a lockdown link did.
#[derive(Debug, Serialize, ToSchema)]
pub struct LockdownDone {
    /// `locked_down`.
    pub status: &'static str,
    /// Sessions revoked.
    pub sessions_revoked: u64,
    /// Always true: the user's trading is off.
    pub trading_disabled: bool,
    /// Always true: the next login needs a new password.
    pub password_reset_required: bool,
}

/// A created account.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupDone {
    /// `account_created`.
    pub status: &'static str,
    /// The new user's id.
    pub user_id: String,
}

/// Emails a reset link if the address has an account; answers the same either way.
#[utoipa::path(post, path = "/api/v1/password-reset", tag = "email", request_body = ResetRequest,
    responses((status = 202, body = StatusBody), (status = 422, body = ErrorBody),
              (status = 501, body = ErrorBody)))]
pub async fn request_reset(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<ResetRequest>,
) -> Result<(StatusCode, Json<StatusBody>), ApiError> {
    state
        .auth()
        .request_password_reset(&req.email, &ctx, state.now_us())
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(StatusBody {
            status: "reset_link_sent_if_the_account_exists",
        }),
    ))
}

/// Sets a new password from a reset link. No session is made: signing in afterwards still
/// needs the second factor.
#[utoipa::path(post, path = "/api/v1/password-reset/complete", tag = "email",
    request_body = ResetComplete,
    responses((status = 200, body = StatusBody), (status = 410, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn complete_reset(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<ResetComplete>,
) -> Result<Json<StatusBody>, ApiError> {
    state
        .auth()
        .complete_password_reset(req.token.expose(), req.new_password.0, &ctx, state.now_us())
        .await?;
    Ok(Json(StatusBody {
        status: "password_changed",
    }))
}

/// The lockdown link of a new-device email: revokes every session and token of the user,
/// turns their trading off and forces a new password. Works once.
#[utoipa::path(post, path = "/api/v1/email-links/lockdown", tag = "email",
    request_body = LinkToken,
    responses((status = 200, body = LockdownDone), (status = 410, body = ErrorBody)))]
pub async fn lockdown(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<LinkToken>,
) -> Result<Json<LockdownDone>, ApiError> {
    let done = state
        .auth()
        .lockdown_with_link(req.token.expose(), &ctx, state.now_us())
        .await?;
    Ok(Json(LockdownDone {
        status: "locked_down",
        sessions_revoked: done.sessions_revoked,
        trading_disabled: true,
        password_reset_required: true,
    }))
}

/// The revert link sent to the old address after an email change: puts it back, ends every
/// session and forces a new password. Works once.
#[utoipa::path(post, path = "/api/v1/email-links/revert-email", tag = "email",
    request_body = LinkToken,
    responses((status = 200, body = StatusBody), (status = 409, body = ErrorBody),
              (status = 410, body = ErrorBody)))]
pub async fn revert_email(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<LinkToken>,
) -> Result<Json<StatusBody>, ApiError> {
    state
        .auth()
        .revert_email_change(req.token.expose(), &ctx, state.now_us())
        .await?;
    Ok(Json(StatusBody {
        status: "email_restored",
    }))
}

/// Changes the signed-in user's address (session with a recent full authentication). The old
/// address gets a link to revert it.
#[utoipa::path(post, path = "/api/v1/me/email", tag = "me", request_body = ChangeEmail,
    responses((status = 200, body = StatusBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn change_email(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    ApiJson(req): ApiJson<ChangeEmail>,
) -> Result<Json<StatusBody>, ApiError> {
    let principal = who.session()?;
    state
        .auth()
        .change_email(principal, &req.email, &ctx, state.now_us())
        .await?;
    Ok(Json(StatusBody {
        status: "email_changed",
    }))
}

/// Open sign-up (when the deployment allows it): emails a confirmation link; the account is
/// created when it is followed. The same answer whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/signup", tag = "email", request_body = SignupRequest,
    responses((status = 202, body = StatusBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn signup(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<StatusBody>), ApiError> {
    state
        .auth()
        .sign_up(&req.email, req.password.0, &ctx, state.now_us())
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(StatusBody {
            status: "confirmation_sent",
        }),
    ))
}

/// Follows a sign-up confirmation link: creates the account. Works once.
#[utoipa::path(post, path = "/api/v1/signup/verify", tag = "email", request_body = LinkToken,
    responses((status = 201, body = SignupDone), (status = 410, body = ErrorBody)))]
pub async fn verify_signup(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<LinkToken>,
) -> Result<(StatusCode, Json<SignupDone>), ApiError> {
    let user = state
        .auth()
        .verify_signup(req.token.expose(), &ctx, state.now_us())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SignupDone {
            status: "account_created",
            user_id: user.to_string(),
        }),
    ))
}
