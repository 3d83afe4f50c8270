//! `/tokens`: personal API tokens for scripts (`Authorization: Bearer twp_...`). A token is
//! shown once at creation; only its digest is stored.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tradeward_auth::Scope;
use utoipa::ToSchema;

use super::dto::rfc3339;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authenticated, Client};
use crate::state::AppState;

/// `POST /tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A name to recognise it by.
    pub name: String,
    /// `read` and/or `trade`.
    pub scopes: Vec<String>,
    /// Lifetime in days (1 to the server's maximum, 365 by default).
    pub expires_in_days: u32,
}

/// A token just created: the only time its value is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// Its id.
    pub id: String,
    /// The bearer value (`twp_...`).
    pub token: String,
    /// Its name.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it stops working.
    pub expires_at: String,
}

/// A token as listed (never its value).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// Creation.
    pub created_at: String,
    /// Expiry.
    pub expires_at: String,
    /// Last use.
    pub last_used_at: Option<String>,
}

fn scopes_of(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Creates a personal token (needs a recent step-up).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    ApiJson(req): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let principal = who.session()?;
    let scopes = req
        .scopes
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let created = state
        .auth()
        .create_api_token(
            principal,
            &req.name,
            &scopes,
            req.expires_in_days,
            &ctx,
            state.now_us(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: created.row.id.to_string(),
            token: created.token.expose().to_owned(),
            name: created.row.name.clone(),
            scopes: scopes_of(&created.row.scopes),
            expires_at: rfc3339(created.row.expires_at_us),
        }),
    ))
}

/// The caller's tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let rows = state.auth().list_api_tokens(&who.0).await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| TokenInfo {
                id: t.id.to_string(),
                name: t.name,
                scopes: scopes_of(&t.scopes),
                created_at: rfc3339(t.created_at_us),
                expires_at: rfc3339(t.expires_at_us),
                last_used_at: t.last_used_at_us.map(rfc3339),
            })
            .collect(),
    ))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "token id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id.parse().map_err(|_| ApiError::not_found("token"))?;
    state
        .auth()
        .revoke_api_token(&who.0, id, &ctx, state.now_us())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
