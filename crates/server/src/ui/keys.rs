//! Adding an exchange key from the browser: a second factor must be enrolled, the session
//! must be recent (or stepped up in the same form), and the secret goes straight into the
//! signer. The answer shows only the masked key and what the venue says the key may do.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tradeward_auth::{Principal, Role};
use tradeward_domain::Venue;
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits};

use super::app_pages::{self, KeyCheck};
use super::dashboard::{server_failed, signed_in};
use super::form::UiForm;
use super::session::{csrf_for, page, redirect};
use super::stepup;
use crate::extract::Client;
use crate::markets::permissions;
use crate::routes::dto::SecretInput;
use crate::state::AppState;

/// Venues the form offers: the connected ones first (their keys can be checked and used at
/// once), then the others the signer can hold keys for.
fn venues(state: &AppState) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = [Venue::Sim, Venue::Binance]
        .into_iter()
        .filter(|v| state.markets().is_some_and(|m| m.venue(*v).is_some()))
        .map(Venue::as_str)
        .collect();
    for name in ["binance", "kraken", "coinbase", "okx", "bybit", "sim"] {
        if !v.contains(&name) {
            v.push(name);
        }
    }
    v
}

/// The form's fields.
#[derive(Debug, Deserialize)]
pub struct AddKeyForm {
    venue: String,
    label: String,
    api_key: SecretInput,
    api_secret: SecretInput,
    #[serde(default)]
    password: Option<SecretInput>,
    #[serde(default)]
    code: Option<SecretInput>,
}

fn form_page(
    state: &AppState,
    p: &Principal,
    csrf: &str,
    status: StatusCode,
    set: Vec<HeaderValue>,
    label: &str,
    error: Option<&str>,
) -> Response {
    page(
        status,
        set,
        app_pages::add_key(
            csrf,
            p.role == Role::Admin,
            !stepup::is_recent(state, p),
            &venues(state),
            label,
            error,
        ),
    )
}

/// `GET /keys/new`.
pub async fn new_key(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(p) = signed_in(&state, &headers).await else {
        return redirect("/login", Vec::new());
    };
    let (csrf, set) = csrf_for(&headers);
    form_page(
        &state,
        &p,
        &csrf,
        StatusCode::OK,
        set.into_iter().collect(),
        "",
        None,
    )
}

/// `POST /keys`.
pub async fn add_key(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    UiForm(form): UiForm<AddKeyForm>,
) -> Response {
    let Some(p) = signed_in(&state, &headers).await else {
        return redirect("/login", Vec::new());
    };
    let (csrf, _) = csrf_for(&headers);
    let fail = |status, set: Vec<HeaderValue>, msg: &str| {
        form_page(&state, &p, &csrf, status, set, &form.label, Some(msg))
    };
    match state.auth().has_second_factor(p.user_id).await {
        Ok(true) => {}
        Ok(false) => {
            return fail(
                StatusCode::FORBIDDEN,
                Vec::new(),
                "Set up two-step verification before adding exchange keys.",
            )
        }
        Err(e) => return server_failed("add key: second factor lookup", &e.code()),
    }
    let Ok(venue) = form.venue.parse::<Venue>() else {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            Vec::new(),
            "Choose an exchange from the list.",
        );
    };
    let label = form.label.trim().to_owned();
    let set = match stepup::ensure(&state, &p, &ctx, form.password, form.code).await {
        Ok(set) => set,
        Err(msg) => return fail(StatusCode::FORBIDDEN, Vec::new(), &msg),
    };
    let call = CallContext {
        component: "web".into(),
        user_id: Some(p.user_id),
        session_id: Some(p.session_id().to_string()),
        source_addr: ctx.addr.map(|a| a.to_string()),
    };
    let input = CredentialInput {
        owner: p.user_id,
        venue,
        label: label.clone(),
        scheme: None,
        api_key: form.api_key.0.into_bytes(),
        secret: form.api_secret.0.into_bytes(),
        passphrase: None,
        limits: CredentialLimits::default(),
        permissions: "{}".into(),
    };
    let stored = match state.signer().store_credential(&call, input).await {
        Ok(s) => s,
        Err(e) => {
            // The signer's messages never carry the secret; they name what is wrong.
            let api = crate::error::ApiError::from(e);
            let status = api.status();
            if status.is_server_error() {
                return server_failed("add key: storing", &api.code().to_owned());
            }
            return fail(
                status,
                set,
                &format!("The key was not stored: {}", api.message()),
            );
        }
    };
    let check = match state.markets().and_then(|m| m.venue(venue)) {
        Some(http) => match permissions::check(http, state.signer(), &call, stored.id).await {
            Ok(c) => KeyCheck::Checked {
                can_trade: c.enable_spot_and_margin_trading,
                can_withdraw: c.enable_withdrawals,
                warnings: c.warnings().into_iter().map(|(_, m)| m).collect(),
            },
            Err(e) => KeyCheck::Unchecked(e.to_string()),
        },
        None => KeyCheck::Unchecked(format!("{venue} is not connected to this server")),
    };
    page(
        StatusCode::OK,
        set,
        app_pages::key_added(
            &csrf,
            p.role == Role::Admin,
            &label,
            &stored.api_key_masked,
            &check,
        ),
    )
}
