//! `/admin/audit` and `/admin/lockdown`: reading the audit log and the deployment-wide
//! lockdown, for administrators (S7). Both need a browser session with a recent step-up: the
//! log names every user's addresses, and a lockdown ends everyone's sessions. Every lockdown
//! is itself an audit entry.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tradeward_audit::lockdown_event;
use tradeward_audit::report::{parse_time, rfc3339};
use tradeward_auth::sessions::requires_recent_auth;
use tradeward_auth::{Principal, Role, Via};
use tradeward_store::AuditFilter;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authenticated, Client};
use crate::state::AppState;

/// The most entries one page carries.
const MAX_LIMIT: i64 = 1000;

/// Filters of `GET /admin/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this user's entries (user id).
    pub user_id: Option<String>,
    /// Only entries of this kind (`auth.login`, `signer.refuse`, `incident.lockdown`, ...).
    pub kind: Option<String>,
    /// Entries at or after this time: RFC 3339, or a span back from now (`30m`, `24h`, `7d`).
    pub since: Option<String>,
    /// Entries before this time (same forms).
    pub until: Option<String>,
    /// Entries after this position in the log (for the next page).
    pub after_seq: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<i64>,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the log (1-based).
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// What happened (`auth.login`, `signer.refuse`, ...).
    pub kind: String,
    /// The component that acted (`web`, `signer`, `cli`, ...).
    pub component: String,
    /// `ok`, `refused` or `error`.
    pub outcome: String,
    /// The user concerned.
    pub user_id: Option<String>,
    /// The session or personal token that acted.
    pub session_id: Option<String>,
    /// The credential used or touched.
    pub credential_id: Option<String>,
    /// The address the request came from.
    pub source_addr: Option<String>,
    /// Why it was refused or failed.
    pub reason: Option<String>,
    /// Further facts (never a secret).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// The entries, oldest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `after_seq` for the next page; absent on the last page.
    pub next_after_seq: Option<i64>,
}

/// `POST /admin/lockdown`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lockdown {
    /// Why (recorded in the audit log).
    pub reason: String,
}

/// What a lockdown did.
#[derive(Debug, Serialize, ToSchema)]
pub struct LockdownDone {
    /// Whether trading was enabled before (false: it was already off).
    pub trading_was_enabled: bool,
    /// Users in the deployment; every one must set a new password at next login.
    pub users: u64,
    /// Of those, users not already required to.
    pub users_newly_forced: u64,
    /// Sessions revoked (the caller's included).
    pub sessions_revoked: u64,
    /// Personal tokens revoked.
    pub tokens_revoked: u64,
    /// Logins in progress dropped.
    pub logins_in_progress_dropped: u64,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
}

/// An administrator's browser session with a recent step-up.
fn stepped_up_admin<'a>(
    state: &AppState,
    who: &'a Authenticated,
) -> Result<&'a Principal, ApiError> {
    let p = who.session()?;
    if p.role != Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "administrators only",
        ));
    }
    if let Via::Session(s) = &p.via {
        requires_recent_auth(s, state.now_us(), state.auth().config().step_up_window)?;
    }
    Ok(p)
}

/// Lists audit entries, oldest first, filtered by user, kind and time.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    who: Authenticated,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    stepped_up_admin(&state, &who)?;
    let Query(q) = query.map_err(|e| invalid(format!("query: {}", e.body_text())))?;
    let now = state.now_us();
    let time = |name: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| parse_time(t, now).map_err(|e| invalid(format!("{name}: {e}"))))
            .transpose()
    };
    let since_us = time("since", &q.since)?;
    let until_us = time("until", &q.until)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid(format!("limit: must be 1 to {MAX_LIMIT}")));
    }
    if q.after_seq.is_some_and(|s| s < 0) {
        return Err(invalid("after_seq: must not be negative"));
    }
    let rows = state
        .store()
        .audit_events(&AuditFilter {
            user_id: q.user_id,
            kind: q.kind,
            after_seq: q.after_seq,
            since_us,
            until_us,
            // One more than asked tells whether another page follows.
            limit: Some(limit + 1),
        })
        .await?;
    let more = rows.len() as i64 > limit;
    let entries: Vec<AuditEntry> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|r| AuditEntry {
            seq: r.seq,
            at: rfc3339(r.row.at_us),
            kind: r.row.kind,
            component: r.row.component,
            outcome: r.row.outcome,
            user_id: r.row.user_id,
            session_id: r.row.session_id,
            credential_id: r.row.credential_id,
            source_addr: r.row.source_addr,
            reason: r.row.reason,
            detail: serde_json::from_str(&r.row.detail).unwrap_or_else(|_| serde_json::json!({})),
        })
        .collect();
    let next_after_seq = if more {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(Json(AuditPage {
        entries,
        next_after_seq,
    }))
}

/// Locks the deployment down: trading off for every account, every session and personal
/// token revoked, every user forced to set a new password. Idempotent; audited.
#[utoipa::path(post, path = "/api/v1/admin/lockdown", tag = "admin", request_body = Lockdown,
    responses((status = 200, body = LockdownDone), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn lockdown(
    State(state): State<AppState>,
    Client(ctx): Client,
    who: Authenticated,
    ApiJson(req): ApiJson<Lockdown>,
) -> Result<Json<LockdownDone>, ApiError> {
    let p = stepped_up_admin(&state, &who)?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid("reason: must be 1 to 500 characters"));
    }
    let now = state.now_us();
    let counts = state.store().lockdown(now).await?;
    let mut e = lockdown_event(now, "web", &counts, reason).with("admin_id", p.user_id.to_string());
    e.user_id = Some(p.user_id.to_string());
    e.session_id = Some(p.session_id().to_string());
    e.source_addr = ctx.addr.map(|a| a.to_string());
    state.audit().record(e)?;
    Ok(Json(LockdownDone {
        trading_was_enabled: counts.trading_was_enabled,
        users: counts.users,
        users_newly_forced: counts.users_newly_forced,
        sessions_revoked: counts.sessions_revoked,
        tokens_revoked: counts.tokens_revoked,
        logins_in_progress_dropped: counts.challenges_dropped,
    }))
}
