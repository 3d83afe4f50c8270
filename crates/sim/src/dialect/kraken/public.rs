//! Kraken public market data: `Time`, `SystemStatus`, `Assets`, `AssetPairs`, `Ticker`,
//! `Depth`, `Trades` (GET with a query or POST with a form, as Kraken accepts both).

use super::ids::{decimals_of, find_pair, fixed, num, wsname};
use super::{ok, KResult, KrakenError, Params};
use crate::dialect::time::{rfc1123_kraken, rfc3339_us};
use crate::engine::SymbolInfo;
use crate::state::{lock, AppState};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// `GET /0/public/<method>`.
pub(super) async fn handle_get(
    State(st): State<AppState>,
    Path(method): Path<String>,
    RawQuery(q): RawQuery,
) -> KResult {
    let p = Params::form(q.unwrap_or_default().as_bytes())?;
    dispatch(&st, &method, &p)
}

/// `POST /0/public/<method>`.
pub(super) async fn handle_post(
    State(st): State<AppState>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> KResult {
    let p = super::body_params(&headers, &body)?;
    dispatch(&st, &method, &p)
}

fn dispatch(st: &AppState, method: &str, p: &Params) -> KResult {
    match method {
        "Time" => {
            let now = st.now_ms() / 1000;
            ok(json!({ "unixtime": now, "rfc1123": rfc1123_kraken(now) }))
        }
        "SystemStatus" => ok(json!({
            "status": "online",
            "timestamp": rfc3339_us(st.now_us()).replace(".000000", ""),
        })),
        "Assets" => assets(st, p),
        "AssetPairs" => asset_pairs(st, p),
        "Ticker" => ticker(st, p),
        "Depth" => depth(st, p),
        "Trades" => trades(st, p),
        _ => Err(KrakenError::new("EGeneral:Unknown method")),
    }
}

/// The markets named by a comma-separated `pair` parameter (all when absent).
fn pairs(symbols: &[SymbolInfo], p: &Params, required: bool) -> Result<Vec<usize>, KrakenError> {
    match p.get("pair") {
        None | Some("") if !required => Ok((0..symbols.len()).collect()),
        None | Some("") => Err(KrakenError::invalid("pair")),
        Some(list) => list
            .split(',')
            .map(|name| {
                find_pair(symbols, name.trim())
                    .map(|(i, _)| i)
                    .ok_or_else(|| KrakenError::new("EQuery:Unknown asset pair"))
            })
            .collect(),
    }
}

fn assets(st: &AppState, p: &Params) -> KResult {
    let symbols = lock(&st.engine).symbols();
    let mut names = BTreeSet::new();
    for s in &symbols {
        names.insert(s.base_asset.to_string());
        names.insert(s.quote_asset.to_string());
    }
    let wanted: Option<Vec<&str>> = p.get("asset").map(|a| a.split(',').collect());
    let mut out = Map::new();
    for n in names {
        if wanted.as_ref().is_some_and(|w| !w.contains(&n.as_str())) {
            continue;
        }
        out.insert(
            n.clone(),
            json!({
                "aclass": "currency",
                "altname": n,
                "decimals": 10,
                "display_decimals": 5,
                "status": "enabled",
            }),
        );
    }
    if out.is_empty() && wanted.is_some() {
        return Err(KrakenError::new("EQuery:Unknown asset"));
    }
    ok(Value::Object(out))
}

fn asset_pairs(st: &AppState, p: &Params) -> KResult {
    let (symbols, fees) = {
        let eng = lock(&st.engine);
        (eng.symbols(), eng.config().fees.clone())
    };
    let pct = |rate: Decimal| num(rate * Decimal::from(100));
    let mut out = Map::new();
    for i in pairs(&symbols, p, false)? {
        let s = &symbols[i];
        let price_dp = decimals_of(s.tick_size);
        out.insert(
            s.symbol.to_string(),
            json!({
                "altname": s.symbol.as_str(),
                "wsname": wsname(s),
                "aclass_base": "currency",
                "base": s.base_asset.as_str(),
                "aclass_quote": "currency",
                "quote": s.quote_asset.as_str(),
                "lot": "unit",
                "cost_decimals": price_dp + decimals_of(s.step_size),
                "pair_decimals": price_dp,
                "lot_decimals": decimals_of(s.step_size),
                "lot_multiplier": 1,
                "leverage_buy": [],
                "leverage_sell": [],
                "fees": [[0, pct(fees.taker)]],
                "fees_maker": [[0, pct(fees.maker)]],
                "fee_volume_currency": s.quote_asset.as_str(),
                "margin_call": 80,
                "margin_stop": 40,
                "ordermin": s.min_qty.normalize().to_string(),
                "costmin": s.min_notional.normalize().to_string(),
                "tick_size": s.tick_size.normalize().to_string(),
                "status": "online",
            }),
        );
    }
    ok(Value::Object(out))
}

fn ticker(st: &AppState, p: &Params) -> KResult {
    let now = st.now_ms();
    let eng = lock(&st.engine);
    let symbols = eng.symbols();
    let mut out = Map::new();
    for i in pairs(&symbols, p, false)? {
        let s = &symbols[i];
        let t = eng.ticker_24h(s.symbol.as_str(), now)?;
        let (pdp, ldp) = (decimals_of(s.tick_size), 8);
        let px = |d: Decimal| fixed(d, pdp);
        let vol = |d: Decimal| fixed(d, ldp);
        out.insert(
            s.symbol.to_string(),
            json!({
                "a": [px(t.ask_price), "1", vol(t.ask_qty)],
                "b": [px(t.bid_price), "1", vol(t.bid_qty)],
                "c": [px(t.last_price), vol(t.last_qty)],
                "v": [vol(t.volume), vol(t.volume)],
                "p": [px(t.weighted_avg_price), px(t.weighted_avg_price)],
                "t": [t.count, t.count],
                "l": [px(t.low_price), px(t.low_price)],
                "h": [px(t.high_price), px(t.high_price)],
                "o": px(t.open_price),
            }),
        );
    }
    ok(Value::Object(out))
}

fn count(p: &Params, default: usize, max: usize) -> Result<usize, KrakenError> {
    match p.get("count") {
        None => Ok(default),
        Some(c) => c
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .map(|n| n.min(max))
            .ok_or_else(|| KrakenError::invalid("count")),
    }
}

fn depth(st: &AppState, p: &Params) -> KResult {
    let n = count(p, 100, 500)?;
    let now_s = st.now_ms() / 1000;
    let eng = lock(&st.engine);
    let symbols = eng.symbols();
    let i = pairs(&symbols, p, true)?[0];
    let s = &symbols[i];
    let d = eng.depth(s.symbol.as_str(), n)?;
    let pdp = decimals_of(s.tick_size);
    let side = |v: &[(Decimal, Decimal)]| -> Vec<Value> {
        v.iter()
            .map(|(px, q)| json!([fixed(*px, pdp), fixed(*q, 8), now_s]))
            .collect()
    };
    let mut out = Map::new();
    out.insert(
        s.symbol.to_string(),
        json!({ "asks": side(&d.asks), "bids": side(&d.bids) }),
    );
    ok(Value::Object(out))
}

fn trades(st: &AppState, p: &Params) -> KResult {
    let n = count(p, 1000, 1000)?;
    let since: Option<u64> = match p.get("since") {
        None => None,
        Some(s) => Some(s.parse().map_err(|_| KrakenError::invalid("since"))?),
    };
    let eng = lock(&st.engine);
    let symbols = eng.symbols();
    let i = pairs(&symbols, p, true)?[0];
    let s = &symbols[i];
    let pdp = decimals_of(s.tick_size);
    let mut list = eng.recent_trades(s.symbol.as_str(), crate::engine::MAX_QUERY_LIMIT)?;
    if let Some(since) = since {
        list.retain(|t| t.id > since);
    }
    let skip = list.len().saturating_sub(n);
    let list = &list[skip..];
    let rows: Vec<Value> = list
        .iter()
        .map(|t| {
            // The taker's side: a maker buyer means the taker sold.
            let side = if t.is_buyer_maker { "s" } else { "b" };
            json!([
                fixed(t.price, pdp),
                fixed(t.qty, 8),
                t.time as f64 / 1000.0,
                side,
                "l",
                "",
                t.id
            ])
        })
        .collect();
    let last = list.last().map(|t| t.id).or(since).unwrap_or(0);
    let mut out = Map::new();
    out.insert(s.symbol.to_string(), Value::Array(rows));
    out.insert("last".into(), Value::String(last.to_string()));
    ok(Value::Object(out))
}
