//! The signed-in pages: the dashboard (balances, price charts, keys, the trading switch's
//! banner) and signing out.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tradeward_auth::{Principal, Role};

use super::app_pages::{self, ChartData, Dashboard, KeyRow};
use super::form::UiForm;
use super::pages;
use super::session::{csrf_for, page, redirect};
use crate::cookies;
use crate::extract::Client;
use crate::routes::balances::portfolio;
use crate::routes::dto::rfc3339;
use crate::state::AppState;

/// The session behind the cookie, if it is valid.
pub(super) async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<Principal> {
    let token = cookies::read(headers, cookies::SESSION_COOKIE).filter(|t| !t.is_empty())?;
    state
        .auth()
        .authenticate_session(&token, state.now_us())
        .await
        .ok()
}

/// The page for a failure the user cannot fix (the detail is logged).
pub(super) fn server_failed(what: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what} failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        Vec::new(),
        pages::problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server failed; the event is logged.",
        ),
    )
}

/// `GET /`: the dashboard, or the sign-in page when not signed in.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(principal) = signed_in(&state, &headers).await else {
        return redirect("/login", Vec::new());
    };
    let (csrf, set) = csrf_for(&headers);
    let loaded = async {
        let keys = state.store().credentials_of(principal.user_id).await?;
        let trading = state.store().global_trading_enabled().await?;
        Ok::<_, tradeward_store::StoreError>((keys, trading))
    }
    .await;
    let (keys, trading) = match loaded {
        Ok(v) => v,
        Err(e) => return server_failed("dashboard: loading", &e),
    };
    let folio = match state.markets() {
        Some(_) => match portfolio(&state, principal.user_id).await {
            Ok(p) => Some(p),
            Err(e) => return server_failed("dashboard: balances", &e.code().to_owned()),
        },
        None => None,
    };
    let charts: Vec<ChartData> = state
        .markets()
        .map(|m| {
            m.boards()
                .iter()
                .map(|b| ChartData {
                    stream_name: format!("{}:{}", b.market.venue.as_str(), b.market.symbol),
                    title: b.market.symbol.to_string(),
                    points: b.history(),
                })
                .collect()
        })
        .unwrap_or_default();
    let rows: Vec<KeyRow> = keys
        .into_iter()
        .map(|k| KeyRow {
            venue: k.venue,
            label: k.label,
            api_key_masked: k.api_key_masked,
            created_at: rfc3339(k.created_at_us),
        })
        .collect();
    page(
        StatusCode::OK,
        set.into_iter().collect(),
        app_pages::dashboard(&Dashboard {
            csrf: &csrf,
            email: &principal.email,
            is_admin: principal.role == Role::Admin,
            trading_enabled: trading,
            keys: &rows,
            portfolio: folio.as_ref(),
            charts: &charts,
        }),
    )
}

/// The sign-out form carries only the CSRF field.
#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /logout`: ends the session and clears the cookies.
pub async fn logout(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    UiForm(_): UiForm<Empty>,
) -> Response {
    if let Some(principal) = signed_in(&state, &headers).await {
        if let Err(e) = state.auth().logout(&principal, &ctx, state.now_us()).await {
            tracing::warn!(code = e.code(), "sign-out failed");
        }
    }
    redirect("/login", cookies::cleared())
}
