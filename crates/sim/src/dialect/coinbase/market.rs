//! Coinbase market data: server time, products (public `/market/...` and authenticated
//! spellings), ticker with recent trades, order book, best bid/ask, and the `/v2` currency
//! lists and exchange rates clients load with the markets.

use super::auth::{authenticate, Need};
use super::{find_product, product_id, CbError};
use crate::dialect::time::rfc3339_us;
use crate::engine::SymbolInfo;
use crate::state::{lock, AppState};
use axum::extract::{Path, RawQuery, Request, State};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeSet;

type R = Result<Json<Value>, CbError>;

pub(super) fn query(raw: Option<String>) -> Result<Vec<(String, String)>, CbError> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| CbError::invalid("malformed query"))
}

fn get<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn d(v: Decimal) -> String {
    v.normalize().to_string()
}

/// Checks the token of an authenticated market-data call.
fn auth(st: &AppState, req: &Request) -> Result<(), CbError> {
    let peer = crate::api::request::peer_ip(req);
    authenticate(
        st,
        req.headers(),
        req.method(),
        req.uri().path(),
        peer,
        Need::View,
    )
    .map(|_| ())
}

pub(super) async fn time(State(st): State<AppState>) -> Json<Value> {
    let us = st.now_us();
    Json(json!({
        "iso": rfc3339_us(us),
        "epochSeconds": (us / 1_000_000).to_string(),
        "epochMillis": (us / 1000).to_string(),
    }))
}

fn product_json(st: &AppState, s: &SymbolInfo) -> Value {
    let now = st.now_ms();
    let t = lock(&st.engine).ticker_24h(s.symbol.as_str(), now).ok();
    let (price, change, volume) = t
        .map(|t| (t.last_price, t.price_change_percent, t.volume))
        .unwrap_or_default();
    json!({
        "product_id": product_id(s),
        "price": d(price),
        "price_percentage_change_24h": d(change),
        "volume_24h": d(volume),
        "volume_percentage_change_24h": "0",
        "base_increment": d(s.step_size),
        "quote_increment": d(s.tick_size),
        "quote_min_size": d(s.min_notional),
        "quote_max_size": "100000000",
        "base_min_size": d(s.min_qty),
        "base_max_size": d(s.max_qty),
        "base_name": s.base_asset.as_str(),
        "quote_name": s.quote_asset.as_str(),
        "watched": false,
        "is_disabled": false,
        "new": false,
        "status": "online",
        "cancel_only": false,
        "limit_only": false,
        "post_only": false,
        "trading_disabled": false,
        "auction_mode": false,
        "product_type": "SPOT",
        "quote_currency_id": s.quote_asset.as_str(),
        "base_currency_id": s.base_asset.as_str(),
        "mid_market_price": "",
        "alias": "",
        "alias_to": [],
        "base_display_symbol": s.base_asset.as_str(),
        "quote_display_symbol": s.quote_asset.as_str(),
        "view_only": false,
        "price_increment": d(s.tick_size),
        "display_name": format!("{}/{}", s.base_asset, s.quote_asset),
        "product_venue": "CBE",
    })
}

fn products(st: &AppState, raw: Option<String>) -> R {
    let q = query(raw)?;
    let symbols = lock(&st.engine).symbols();
    // Only spot products exist here.
    let list: Vec<Value> = if get(&q, "product_type").is_some_and(|t| t != "SPOT") {
        Vec::new()
    } else {
        let wanted: Vec<&str> = q
            .iter()
            .filter(|(k, _)| k == "product_ids")
            .map(|(_, v)| v.as_str())
            .collect();
        symbols
            .iter()
            .filter(|s| wanted.is_empty() || wanted.contains(&product_id(s).as_str()))
            .map(|s| product_json(st, s))
            .collect()
    };
    Ok(Json(
        json!({ "products": list, "num_products": list.len() }),
    ))
}

pub(super) async fn products_public(State(st): State<AppState>, RawQuery(q): RawQuery) -> R {
    products(&st, q)
}

pub(super) async fn products_private(State(st): State<AppState>, req: Request) -> R {
    auth(&st, &req)?;
    products(&st, req.uri().query().map(str::to_owned))
}

fn product(st: &AppState, id: &str) -> R {
    let symbols = lock(&st.engine).symbols();
    let (_, s) =
        find_product(&symbols, id).ok_or_else(|| CbError::not_found("ProductID is invalid"))?;
    Ok(Json(product_json(st, s)))
}

pub(super) async fn product_public(State(st): State<AppState>, Path(id): Path<String>) -> R {
    product(&st, &id)
}

pub(super) async fn product_private(
    State(st): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> R {
    auth(&st, &req)?;
    product(&st, &id)
}

fn ticker(st: &AppState, id: &str, raw: Option<String>) -> R {
    let q = query(raw)?;
    let limit: usize = match get(&q, "limit") {
        None => 100,
        Some(l) => l
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| CbError::invalid("limit must be 1 to 1000"))?,
    };
    let eng = lock(&st.engine);
    let symbols = eng.symbols();
    let (_, s) =
        find_product(&symbols, id).ok_or_else(|| CbError::not_found("ProductID is invalid"))?;
    let book = eng
        .book_ticker(s.symbol.as_str())
        .map_err(|_| CbError::not_found("ProductID is invalid"))?;
    let trades = eng
        .recent_trades(s.symbol.as_str(), limit)
        .map_err(|_| CbError::not_found("ProductID is invalid"))?;
    let list: Vec<Value> = trades
        .iter()
        .rev()
        .map(|t| {
            json!({
                "trade_id": t.id.to_string(),
                "product_id": product_id(s),
                "price": d(t.price),
                "size": d(t.qty),
                "time": rfc3339_us(t.time * 1000),
                // The taker's side: a maker buyer means the taker sold.
                "side": if t.is_buyer_maker { "SELL" } else { "BUY" },
                "bid": "",
                "ask": "",
            })
        })
        .collect();
    Ok(Json(json!({
        "trades": list,
        "best_bid": d(book.bid_price),
        "best_ask": d(book.ask_price),
    })))
}

pub(super) async fn ticker_public(
    State(st): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> R {
    ticker(&st, &id, q)
}

pub(super) async fn ticker_private(
    State(st): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> R {
    auth(&st, &req)?;
    ticker(&st, &id, req.uri().query().map(str::to_owned))
}

fn pricebook(st: &AppState, s: &SymbolInfo, limit: usize) -> Result<Value, CbError> {
    let depth = lock(&st.engine)
        .depth(s.symbol.as_str(), limit)
        .map_err(|_| CbError::not_found("ProductID is invalid"))?;
    let side = |v: &[(Decimal, Decimal)]| -> Vec<Value> {
        v.iter()
            .map(|(p, q)| json!({"price": d(*p), "size": d(*q)}))
            .collect()
    };
    Ok(json!({
        "product_id": product_id(s),
        "bids": side(&depth.bids),
        "asks": side(&depth.asks),
        "time": rfc3339_us(st.now_us()),
    }))
}

fn book(st: &AppState, raw: Option<String>) -> R {
    let q = query(raw)?;
    let id = get(&q, "product_id").ok_or_else(|| CbError::invalid("product_id is required"))?;
    let limit = match get(&q, "limit") {
        None => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| CbError::invalid("limit must be 1 to 1000"))?,
    };
    let symbols = lock(&st.engine).symbols();
    let (_, s) =
        find_product(&symbols, id).ok_or_else(|| CbError::not_found("ProductID is invalid"))?;
    Ok(Json(json!({ "pricebook": pricebook(st, s, limit)? })))
}

pub(super) async fn book_public(State(st): State<AppState>, RawQuery(q): RawQuery) -> R {
    book(&st, q)
}

pub(super) async fn book_private(State(st): State<AppState>, req: Request) -> R {
    auth(&st, &req)?;
    book(&st, req.uri().query().map(str::to_owned))
}

pub(super) async fn best_bid_ask(State(st): State<AppState>, req: Request) -> R {
    auth(&st, &req)?;
    let q = query(req.uri().query().map(str::to_owned))?;
    let symbols = lock(&st.engine).symbols();
    let wanted: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == "product_ids")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut books = Vec::new();
    for s in &symbols {
        if wanted.is_empty() || wanted.contains(&product_id(s).as_str()) {
            books.push(pricebook(&st, s, 1)?);
        }
    }
    Ok(Json(json!({ "pricebooks": books })))
}

fn assets(st: &AppState) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in lock(&st.engine).symbols() {
        out.insert(s.base_asset.to_string());
        out.insert(s.quote_asset.to_string());
    }
    out
}

pub(super) async fn currencies_fiat(State(_st): State<AppState>) -> Json<Value> {
    Json(json!({ "data": [{"id": "USD", "name": "US Dollar", "min_size": "0.01"}] }))
}

pub(super) async fn currencies_crypto(State(st): State<AppState>) -> Json<Value> {
    let list: Vec<Value> = assets(&st)
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            json!({
                "code": a, "name": a, "color": "#000000", "sort_index": i,
                "exponent": 8, "type": "crypto", "address_regex": "", "asset_id": a,
            })
        })
        .collect();
    Json(json!({ "data": list }))
}

pub(super) async fn exchange_rates(State(st): State<AppState>) -> Json<Value> {
    let rates: serde_json::Map<String, Value> = assets(&st)
        .into_iter()
        .map(|a| (a, Value::String("1".into())))
        .collect();
    Json(json!({ "data": { "currency": "USD", "rates": rates } }))
}
