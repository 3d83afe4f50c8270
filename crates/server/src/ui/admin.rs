//! The admin console: the global trading switch (administrators only; a recent
//! authentication or a step-up in the same form; the reason goes to the audit log).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tradeward_auth::{Principal, Role};

use super::app_pages;
use super::dashboard::{server_failed, signed_in};
use super::form::UiForm;
use super::pages;
use super::session::{csrf_for, page, redirect};
use super::stepup;
use crate::extract::Client;
use crate::routes::admin::set_trading;
use crate::routes::dto::SecretInput;
use crate::state::AppState;

/// The switch form's fields.
#[derive(Debug, Deserialize)]
pub struct TradingForm {
    enabled: String,
    reason: String,
    #[serde(default)]
    password: Option<SecretInput>,
    #[serde(default)]
    code: Option<SecretInput>,
}

async fn admin_only(state: &AppState, headers: &HeaderMap) -> Result<Principal, Response> {
    match signed_in(state, headers).await {
        None => Err(redirect("/login", Vec::new())),
        Some(p) if p.role != Role::Admin => Err(page(
            StatusCode::FORBIDDEN,
            Vec::new(),
            pages::problem(StatusCode::FORBIDDEN, "This page is for administrators."),
        )),
        Some(p) => Ok(p),
    }
}

fn render(
    state: &AppState,
    p: &Principal,
    csrf: &str,
    status: StatusCode,
    set: Vec<HeaderValue>,
    trading: bool,
    error: Option<&str>,
) -> Response {
    page(
        status,
        set,
        app_pages::admin(csrf, trading, !stepup::is_recent(state, p), None, error),
    )
}

/// `GET /admin`.
pub async fn console(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let p = match admin_only(&state, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (csrf, set) = csrf_for(&headers);
    match state.store().global_trading_enabled().await {
        Ok(t) => render(
            &state,
            &p,
            &csrf,
            StatusCode::OK,
            set.into_iter().collect(),
            t,
            None,
        ),
        Err(e) => server_failed("admin: trading state", &e),
    }
}

/// `POST /admin/trading`.
pub async fn trading(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    UiForm(form): UiForm<TradingForm>,
) -> Response {
    let p = match admin_only(&state, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (csrf, _) = csrf_for(&headers);
    let current = match state.store().global_trading_enabled().await {
        Ok(t) => t,
        Err(e) => return server_failed("admin: trading state", &e),
    };
    let enabled = match form.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return render(
                &state,
                &p,
                &csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                Vec::new(),
                current,
                Some("The form is malformed: reload the page."),
            )
        }
    };
    let set = match stepup::ensure(&state, &p, &ctx, form.password, form.code).await {
        Ok(set) => set,
        Err(msg) => {
            return render(
                &state,
                &p,
                &csrf,
                StatusCode::FORBIDDEN,
                Vec::new(),
                current,
                Some(&msg),
            )
        }
    };
    match set_trading(&state, &p, &ctx, enabled, &form.reason).await {
        Ok(()) => {
            let notice = if enabled {
                "Trading is enabled again."
            } else {
                "Trading is disabled for every user."
            };
            // After a step-up the principal's session row is the old one; the new cookie
            // makes the next page load see the fresh authentication.
            page(
                StatusCode::OK,
                set,
                app_pages::admin(&csrf, enabled, false, Some(notice), None),
            )
        }
        Err(e) if e.status().is_client_error() => render(
            &state,
            &p,
            &csrf,
            e.status(),
            set,
            current,
            Some(e.message()),
        ),
        Err(e) => server_failed("admin: setting trading", &e.code().to_owned()),
    }
}
