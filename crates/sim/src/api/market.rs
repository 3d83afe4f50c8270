//! Public market-data endpoints: ping, time, exchangeInfo, depth, trades, klines, tickers.

use super::error::ApiError;
use super::json;
use super::request::Req;
use crate::engine::{KlineInterval, RejectReason, MAX_QUERY_LIMIT};
use crate::state::{lock, AppState};
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

type R = Result<Json<Value>, ApiError>;

/// `GET /api/v3/ping`.
pub async fn ping(_req: Req) -> Json<Value> {
    Json(json!({}))
}

/// `GET /api/v3/time`.
pub async fn time(State(st): State<AppState>, _req: Req) -> Json<Value> {
    Json(json!({ "serverTime": st.now_ms() }))
}

/// The symbols a request names (`symbol` or `symbols`), None for all.
fn named_symbols(req: &Req) -> Result<Option<Vec<String>>, ApiError> {
    match (req.params.symbol()?, req.params.symbols()?) {
        (Some(_), Some(_)) => Err(ApiError::bad(
            -1128,
            "Combination of optional parameters invalid.",
        )),
        (Some(s), None) => Ok(Some(vec![s.to_string()])),
        (None, list) => Ok(list),
    }
}

/// `GET /api/v3/exchangeInfo`.
pub async fn exchange_info(State(st): State<AppState>, req: Req) -> R {
    let wanted = named_symbols(&req)?;
    let symbols = {
        let eng = lock(&st.engine);
        match &wanted {
            None => eng.symbols(),
            Some(list) => list
                .iter()
                .map(|s| eng.symbol_info(s))
                .collect::<Result<Vec<_>, _>>()?,
        }
    };
    let rl = st.limiter.config();
    let mut limits = vec![];
    if rl.request_weight_per_minute > 0 {
        limits.push(json!({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": rl.request_weight_per_minute}));
    }
    if rl.orders_per_10s > 0 {
        limits.push(json!({"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": rl.orders_per_10s}));
    }
    if rl.orders_per_day > 0 {
        limits.push(json!({"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": rl.orders_per_day}));
    }
    Ok(Json(json!({
        "timezone": "UTC",
        "serverTime": st.now_ms(),
        "rateLimits": limits,
        "exchangeFilters": [],
        "symbols": symbols.iter().map(json::symbol).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v3/depth`.
pub async fn depth(State(st): State<AppState>, req: Req) -> R {
    let symbol = req.params.req_symbol()?;
    let limit = req.params.limit(100, 5000)?;
    let d = lock(&st.engine).depth(symbol, limit)?;
    Ok(Json(json::depth(&d)))
}

/// `GET /api/v3/trades`.
pub async fn trades(State(st): State<AppState>, req: Req) -> R {
    let symbol = req.params.req_symbol()?;
    let limit = req.params.limit(500, 1000)?;
    let t = lock(&st.engine).recent_trades(symbol, limit)?;
    Ok(Json(Value::Array(
        t.iter().map(json::public_trade).collect(),
    )))
}

/// `GET /api/v3/klines`.
pub async fn klines(State(st): State<AppState>, req: Req) -> R {
    let symbol = req.params.req_symbol()?;
    let interval = req.params.req("interval")?;
    let interval =
        KlineInterval::parse(interval).ok_or_else(|| ApiError::bad(-1120, "Invalid interval."))?;
    let start = req.params.uint("startTime")?;
    let end = req.params.uint("endTime")?;
    let limit = req.params.limit(500, 1000)?;
    let k = lock(&st.engine).klines(symbol, interval, start, end, limit)?;
    Ok(Json(Value::Array(k.iter().map(json::kline).collect())))
}

/// Runs `f` for one symbol (an object) or many (an array).
fn per_symbol(
    st: &AppState,
    req: &Req,
    f: impl Fn(&crate::engine::Engine, &str) -> Result<Value, RejectReason>,
) -> R {
    let wanted = named_symbols(req)?;
    let eng = lock(&st.engine);
    match wanted {
        Some(list) if req.params.has("symbol") => Ok(Json(f(&eng, &list[0])?)),
        Some(list) => Ok(Json(Value::Array(
            list.iter().map(|s| f(&eng, s)).collect::<Result<_, _>>()?,
        ))),
        None => {
            let all = eng.symbols();
            Ok(Json(Value::Array(
                all.iter()
                    .map(|s| f(&eng, &s.symbol))
                    .collect::<Result<_, _>>()?,
            )))
        }
    }
}

/// `GET /api/v3/ticker/price`.
pub async fn ticker_price(State(st): State<AppState>, req: Req) -> R {
    per_symbol(&st, &req, |e, s| {
        Ok(json!({"symbol": s, "price": json::d8(e.last_price(s)?)}))
    })
}

/// `GET /api/v3/ticker/bookTicker`.
pub async fn book_ticker(State(st): State<AppState>, req: Req) -> R {
    per_symbol(&st, &req, |e, s| Ok(json::book_ticker(&e.book_ticker(s)?)))
}

/// `GET /api/v3/ticker/24hr`.
pub async fn ticker_24h(State(st): State<AppState>, req: Req) -> R {
    let now = st.now_ms();
    per_symbol(&st, &req, |e, s| {
        Ok(json::ticker_24h(&e.ticker_24h(s, now)?))
    })
}

/// `GET /api/v3/avgPrice` (the last price stands in for the 5-minute average).
pub async fn avg_price(State(st): State<AppState>, req: Req) -> R {
    let symbol = req.params.req_symbol()?;
    let p = lock(&st.engine).last_price(symbol)?;
    Ok(Json(
        json!({"mins": 5, "price": json::d8(p), "closeTime": st.now_ms()}),
    ))
}

/// Upper bound the engine applies to history queries.
pub const HISTORY_MAX: usize = MAX_QUERY_LIMIT;
