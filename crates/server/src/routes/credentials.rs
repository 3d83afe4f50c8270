//! `/credentials`: exchange API keys, write-only. The secret goes straight from the request
//! into the signer (sealed at once); no response ever contains it, or even the whole API key.
//!
//! Adding a key needs a second factor enrolled (S3) and a recent step-up (S4, S5): a phished
//! password or a stolen cookie alone cannot plant a key.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradeward_auth::sessions::requires_recent_auth;
use tradeward_auth::{Principal, Scope, Via};
use tradeward_domain::{CredentialId, Venue};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits};
use tradeward_vault::SecretBytes;
use utoipa::ToSchema;

use super::dto::{rfc3339, SecretInput};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authenticated, Client};
use crate::state::AppState;

/// Trading limits enforced by the signer before every signature.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Symbols (`BASE/QUOTE`) it may trade; absent = any.
    pub allowed_symbols: Option<Vec<String>>,
    /// Largest notional of one order (decimal string, quote currency).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub max_order_notional: Option<Decimal>,
    /// Largest notional per UTC day (decimal string).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub max_daily_notional: Option<Decimal>,
}

/// `POST /credentials`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCredential {
    /// `binance`, `kraken`, `coinbase`, `sim`, ...
    pub venue: String,
    /// A label.
    pub label: String,
    /// The exchange API key.
    #[schema(value_type = String)]
    pub api_key: SecretInput,
    /// The exchange API secret (or private key, PEM).
    #[schema(value_type = String, format = Password)]
    pub api_secret: SecretInput,
    /// The passphrase some venues add.
    #[schema(value_type = Option<String>, format = Password)]
    pub passphrase: Option<SecretInput>,
    /// Trading limits.
    pub limits: Option<Limits>,
}

/// Something the user should know about a stored key.
#[derive(Debug, Serialize, ToSchema)]
pub struct Warning {
    /// Stable code.
    pub code: &'static str,
    /// For a person.
    pub message: &'static str,
}

/// A stored credential's public facts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialInfo {
    /// Its id.
    pub id: String,
    /// Its venue.
    pub venue: String,
    /// Its label.
    pub label: String,
    /// The API key, masked.
    pub api_key_masked: String,
    /// What the venue reported about the key's permissions.
    #[schema(value_type = Object)]
    pub permissions: serde_json::Value,
    /// Its limits.
    pub limits: Limits,
    /// When it was added.
    pub created_at: String,
}

/// The answer to `POST /credentials`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCredential {
    /// Its id.
    pub id: String,
    /// Its venue.
    pub venue: String,
    /// Its label.
    pub label: String,
    /// The API key, masked.
    pub api_key_masked: String,
    /// What the venue reported about the key's permissions.
    #[schema(value_type = Object)]
    pub permissions: serde_json::Value,
    /// Things to check.
    pub warnings: Vec<Warning>,
}

fn signer_context(principal: &Principal, ctx: &tradeward_auth::RequestContext) -> CallContext {
    CallContext {
        component: "web".into(),
        user_id: Some(principal.user_id),
        session_id: Some(principal.session_id().to_string()),
        source_addr: ctx.addr.map(|a| a.to_string()),
    }
}

fn secret_bytes(input: SecretInput) -> SecretBytes {
    input.0.into_bytes()
}

/// Adds an exchange key (write-only).
#[utoipa::path(post, path = "/api/v1/credentials", tag = "credentials",
    request_body = NewCredential,
    responses((status = 201, body = CreatedCredential), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    ApiJson(req): ApiJson<NewCredential>,
) -> Result<(StatusCode, Json<CreatedCredential>), ApiError> {
    let principal = who.session()?;
    let now = state.now_us();
    if !state.auth().has_second_factor(principal.user_id).await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "second_factor_required",
            "enrol a second factor (POST /api/v1/me/totp) before adding exchange keys",
        ));
    }
    if let Via::Session(session) = &principal.via {
        requires_recent_auth(session, now, state.auth().config().step_up_window)?;
    }
    let venue: Venue = req.venue.parse().map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "venue: expected one of binance, kraken, coinbase, okx, bybit, sim",
        )
    })?;
    let limits = req.limits.unwrap_or_default();
    let input = CredentialInput {
        owner: principal.user_id,
        venue,
        label: req.label.clone(),
        scheme: None,
        api_key: secret_bytes(req.api_key),
        secret: secret_bytes(req.api_secret),
        passphrase: req.passphrase.map(secret_bytes),
        limits: CredentialLimits {
            allowed_symbols: limits.allowed_symbols,
            max_order_notional: limits.max_order_notional,
            max_daily_notional: limits.max_daily_notional,
        },
        permissions: "{}".into(),
    };
    let stored = state
        .signer()
        .store_credential(&signer_context(principal, &ctx), input)
        .await?;
    // The owner hears of every new key (a stolen session adding one is S3/S4's next step).
    state
        .auth()
        .notify_key_added(principal.user_id, venue.as_str(), req.label.trim(), now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedCredential {
            id: stored.id.to_string(),
            venue: venue.as_str().to_owned(),
            label: req.label.trim().to_owned(),
            api_key_masked: stored.api_key_masked,
            permissions: serde_json::json!({}),
            warnings: vec![Warning {
                code: "permissions_unverified",
                message: "the key's permissions were not checked with the exchange; make sure \
                          it cannot withdraw or transfer funds",
            }],
        }),
    ))
}

/// The caller's keys (public facts only).
#[utoipa::path(get, path = "/api/v1/credentials", tag = "credentials",
    responses((status = 200, body = Vec<CredentialInfo>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<Vec<CredentialInfo>>, ApiError> {
    if !who.0.has_scope(Scope::Read) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "this token lacks the read scope",
        ));
    }
    let rows = state.store().credentials_of(who.0.user_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|c| CredentialInfo {
                id: c.id.to_string(),
                venue: c.venue,
                label: c.label,
                api_key_masked: c.api_key_masked,
                permissions: serde_json::from_str(&c.permissions)
                    .unwrap_or_else(|_| serde_json::json!({})),
                limits: Limits {
                    allowed_symbols: c.allowed_symbols,
                    max_order_notional: c.max_order_notional,
                    max_daily_notional: c.max_daily_notional,
                },
                created_at: rfc3339(c.created_at_us),
            })
            .collect(),
    ))
}

/// Deletes one of the caller's keys (another user's id is simply not found).
#[utoipa::path(delete, path = "/api/v1/credentials/{id}", tag = "credentials",
    params(("id" = String, Path, description = "credential id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let principal = who.session()?;
    let id: CredentialId = id.parse().map_err(|_| ApiError::not_found("credential"))?;
    let deleted = state
        .signer()
        .delete_credential(&signer_context(principal, &ctx), principal.user_id, id)
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("credential"))
    }
}
