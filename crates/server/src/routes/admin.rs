//! `/admin`: the global trading switch and forced password resets. Administrators only,
//! from a browser session; changes need a recent step-up (S7) and are audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tradeward_audit::{AuditEvent, Outcome};
use tradeward_auth::sessions::requires_recent_auth;
use tradeward_auth::{Actor, Principal, Role, Via};
use tradeward_domain::UserId;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authenticated, Client};
use crate::state::AppState;

/// The global trading switch.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradingState {
    /// Whether trading is enabled deployment-wide.
    pub enabled: bool,
}

/// `PUT /admin/trading`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTrading {
    /// On or off.
    pub enabled: bool,
    /// Why (recorded in the audit log).
    pub reason: String,
}

/// `POST /admin/force-password-reset`: `{"all": true}` or `{"user_id": "..."}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForceReset {
    /// Every user.
    #[serde(default)]
    pub all: bool,
    /// One user.
    pub user_id: Option<String>,
}

/// What a forced reset did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetDone {
    /// Users who must set a new password.
    pub users: u64,
    /// Sessions ended.
    pub sessions_revoked: u64,
}

fn admin(who: &Authenticated) -> Result<&Principal, ApiError> {
    let p = who.session()?;
    if p.role != Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "administrators only",
        ));
    }
    Ok(p)
}

/// Reads the global trading switch.
#[utoipa::path(get, path = "/api/v1/admin/trading", tag = "admin",
    responses((status = 200, body = TradingState), (status = 403, body = ErrorBody)))]
pub async fn get_trading(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<TradingState>, ApiError> {
    admin(&who)?;
    Ok(Json(TradingState {
        enabled: state.store().global_trading_enabled().await?,
    }))
}

/// Turns trading on or off for the whole deployment (the signer applies it within a
/// fraction of a second, also when it runs as its own process).
#[utoipa::path(put, path = "/api/v1/admin/trading", tag = "admin", request_body = SetTrading,
    responses((status = 200, body = TradingState), (status = 403, body = ErrorBody)))]
pub async fn put_trading(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    ApiJson(req): ApiJson<SetTrading>,
) -> Result<Json<TradingState>, ApiError> {
    let p = admin(&who)?;
    let now = state.now_us();
    if let Via::Session(s) = &p.via {
        requires_recent_auth(s, now, state.auth().config().step_up_window)?;
    }
    set_trading(&state, p, &ctx, req.enabled, &req.reason).await?;
    Ok(Json(TradingState {
        enabled: req.enabled,
    }))
}

/// Sets the global trading switch as admin `p` (the caller checked role and step-up), with
/// the reason validated and recorded in the audit log.
pub async fn set_trading(
    state: &AppState,
    p: &Principal,
    ctx: &tradeward_auth::RequestContext,
    enabled: bool,
    reason: &str,
) -> Result<(), ApiError> {
    let now = state.now_us();
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "reason: must be 1 to 500 characters",
        ));
    }
    state.store().set_global_trading(enabled, now).await?;
    let kind = if enabled {
        "trading.global_enable"
    } else {
        "trading.global_disable"
    };
    let mut e = AuditEvent::new(now, kind, "web", Outcome::Ok)
        .with("reason", reason)
        .with("admin_id", p.user_id.to_string());
    e.user_id = Some(p.user_id.to_string());
    e.session_id = Some(p.session_id().to_string());
    e.source_addr = ctx.addr.map(|a| a.to_string());
    state.audit().record(e)?;
    Ok(())
}

/// Forces a password change at next login for everyone or one user; their sessions end.
#[utoipa::path(post, path = "/api/v1/admin/force-password-reset", tag = "admin",
    request_body = ForceReset,
    responses((status = 200, body = ResetDone), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn force_password_reset(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(req): ApiJson<ForceReset>,
) -> Result<Json<ResetDone>, ApiError> {
    let p = admin(&who)?.clone();
    let now = state.now_us();
    let actor = Actor::Admin(p);
    match (req.all, req.user_id) {
        (true, None) => {
            let (users, sessions_revoked) =
                state.auth().force_password_reset_all(&actor, now).await?;
            Ok(Json(ResetDone {
                users,
                sessions_revoked,
            }))
        }
        (false, Some(id)) => {
            let user: UserId = id.parse().map_err(|_| ApiError::not_found("user"))?;
            let sessions_revoked = state.auth().force_password_reset(&actor, user, now).await?;
            Ok(Json(ResetDone {
                users: 1,
                sessions_revoked,
            }))
        }
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "give either {\"all\": true} or {\"user_id\": \"...\"}",
        )),
    }
}
