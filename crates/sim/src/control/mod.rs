//! The control plane (`/sim/v1/*`, not part of Binance's dialect): move a market, read the
//! order log with arrival and market-event times, inject faults, health. Only loopback
//! clients may use it, or, when `[control] token` is set, clients with that bearer token.

use crate::api::error::ApiError;
use crate::api::request::{peer_ip, read_body};
use crate::config::FaultsConfig;
use crate::state::{lock, AppState};
use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

/// The control plane routes.
pub fn router(st: AppState) -> Router<AppState> {
    Router::new()
        .route("/sim/v1/health", get(health))
        .route("/sim/v1/trade", post(trade))
        .route("/sim/v1/orders", get(orders))
        .route("/sim/v1/faults", post(set_faults).get(get_faults))
        .layer(axum::middleware::from_fn_with_state(st, guard))
}

fn forbidden() -> Response {
    ApiError {
        status: StatusCode::FORBIDDEN,
        ..ApiError::bad(
            -2015,
            "Control plane: loopback clients or a valid token only.",
        )
    }
    .into_response()
}

/// Token (constant-time compared) when configured, else loopback only.
async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    match &st.control_token {
        Some(token) => {
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if !bool::from(given.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
                return forbidden();
            }
        }
        None => {
            if !peer_ip(&req).is_loopback() {
                return forbidden();
            }
        }
    }
    next.run(req).await
}

async fn json_body<T: serde::de::DeserializeOwned>(
    st: &AppState,
    req: Request,
) -> Result<T, ApiError> {
    let body = read_body(
        req.into_body(),
        st.server.max_body_bytes,
        st.server.body_timeout_secs,
    )
    .await?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad(-1102, format!("Malformed JSON body: {e}")))
}

async fn health(State(st): State<AppState>) -> Json<Value> {
    let markets = lock(&st.engine).symbols().len();
    Json(json!({"status": "ok", "serverTime": st.now_ms(), "markets": markets}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TradeReq {
    symbol: String,
    price: Decimal,
}

/// `POST /sim/v1/trade {"symbol","price"}`: the market trades at `price` now.
async fn trade(State(st): State<AppState>, req: Request) -> Result<Json<Value>, ApiError> {
    let t: TradeReq = json_body(&st, req).await?;
    let now = st.now_ms();
    let (price, events) = {
        let mut eng = lock(&st.engine);
        let events = eng.trade_at(&t.symbol, t.price, now)?;
        let n = events.len();
        st.publish(events);
        (eng.last_price(&t.symbol)?, n)
    };
    Ok(Json(
        json!({"symbol": t.symbol, "price": price.to_string(), "events": events}),
    ))
}

#[derive(Deserialize)]
struct OrdersQuery {
    /// Only entries with `seq >= since`.
    since: Option<u64>,
}

/// `GET /sim/v1/orders[?since=SEQ]`: order requests oldest first.
async fn orders(State(st): State<AppState>, Query(q): Query<OrdersQuery>) -> Json<Value> {
    let since = q.since.unwrap_or(0);
    let log = lock(&st.order_log);
    let list: Vec<&crate::state::OrderLogEntry> = log.iter().filter(|e| e.seq >= since).collect();
    Json(serde_json::to_value(list).unwrap_or(Value::Array(Vec::new())))
}

/// Fault changes: any subset of the fields, plus `ws_drop_all` (close every WebSocket now).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsPatch {
    latency_ms: Option<u64>,
    latency_jitter_ms: Option<u64>,
    http_5xx_rate: Option<f64>,
    http_429_rate: Option<f64>,
    ws_drop_rate: Option<f64>,
    ws_stall: Option<bool>,
    clock_skew_ms: Option<i64>,
    #[serde(default)]
    ws_drop_all: bool,
    /// Resets every fault to none before applying the rest.
    #[serde(default)]
    reset: bool,
}

async fn set_faults(
    State(st): State<AppState>,
    req: Request,
) -> Result<Json<FaultsConfig>, ApiError> {
    let p: FaultsPatch = json_body(&st, req).await?;
    let mut f = if p.reset {
        FaultsConfig::default()
    } else {
        st.faults()
    };
    macro_rules! apply {
        ($($field:ident),*) => { $(if let Some(v) = p.$field { f.$field = v; })* };
    }
    apply!(
        latency_ms,
        latency_jitter_ms,
        http_5xx_rate,
        http_429_rate,
        ws_drop_rate,
        ws_stall,
        clock_skew_ms
    );
    f.validate("faults")
        .map_err(|e| ApiError::bad(-1100, e.to_string()))?;
    st.set_faults(f.clone());
    if p.ws_drop_all {
        st.ws_kill.send_modify(|n| *n += 1);
    }
    Ok(Json(f))
}

async fn get_faults(State(st): State<AppState>) -> Json<FaultsConfig> {
    Json(st.faults())
}
