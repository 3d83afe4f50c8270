//! Kraken WebSocket v2 market data at `/kraken/v2`: `trade` and `ticker` channels, `ping`,
//! heartbeats, and Kraken's acknowledgement and error shapes.
//!
//! Client: `{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USDT"]},"req_id":1}`.
//! Server: a `status` message on connect, one acknowledgement per symbol, then
//! `{"channel":"trade","type":"update","data":[{"symbol","side","price","qty","ord_type",
//! "trade_id","timestamp"}]}` and `{"channel":"ticker","type":"update","data":[{"symbol",
//! "bid","bid_qty","ask","ask_qty","last","volume","vwap","low","high","change",
//! "change_pct"}]}`. Amounts are JSON numbers, as Kraken sends them.

use super::ids::{find_pair, num, wsname};
use crate::dialect::time::rfc3339_us;
use crate::engine::{EngineEvent, SymbolInfo};
use crate::state::{lock, AppState, Batch};
use axum::extract::ws::{Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Largest client message.
const MAX_FRAME: usize = 64 * 1024;

/// Trades sent in a `trade` snapshot.
const TRADE_SNAPSHOT: usize = 50;

/// `GET /kraken/v2` (upgrade).
pub(super) async fn upgrade(State(st): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_FRAME)
        .on_upgrade(move |s| run(s, st))
}

#[derive(Default)]
struct Subs {
    trade: BTreeSet<String>,
    ticker: BTreeSet<String>,
}

async fn run(mut socket: WebSocket, st: AppState) {
    let mut rx = st.bus.subscribe();
    let mut kill = st.ws_kill.subscribe();
    let mut heartbeat = tokio::time::interval(Duration::from_secs(1));
    let mut subs = Subs::default();
    let status = json!({
        "channel": "status",
        "type": "update",
        "data": [{
            "version": "2.0.0",
            "system": "online",
            "api_version": "v2",
            "connection_id": rand::random::<u32>(),
        }],
    });
    if send(&mut socket, &status).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            batch = rx.recv() => match batch {
                Ok(b) => {
                    for m in forward(&st, &subs, &b) {
                        if send(&mut socket, &m).await.is_err() { return; }
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    for m in control(&st, &mut subs, t.as_str()) {
                        if send(&mut socket, &m).await.is_err() { return; }
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    if socket.send(Message::Pong(p)).await.is_err() { return; }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = heartbeat.tick() => {
                if !(subs.trade.is_empty() && subs.ticker.is_empty())
                    && send(&mut socket, &json!({"channel": "heartbeat"})).await.is_err()
                {
                    return;
                }
            }
            _ = kill.changed() => return,
        }
    }
}

async fn send(socket: &mut WebSocket, v: &Value) -> Result<(), axum::Error> {
    socket.send(Message::Text(v.to_string().into())).await
}

fn now_text(st: &AppState) -> String {
    rfc3339_us(st.now_us())
}

/// Answers one client message.
fn control(st: &AppState, subs: &mut Subs, text: &str) -> Vec<Value> {
    let time_in = now_text(st);
    let Ok(msg) = serde_json::from_str::<Value>(text) else {
        return vec![
            json!({"error": "Malformed request", "success": false, "time_in": time_in, "time_out": now_text(st)}),
        ];
    };
    let req_id = msg.get("req_id").cloned();
    let method = msg.get("method").and_then(Value::as_str).unwrap_or("");
    let answer = |mut v: Value| {
        if let Some(r) = &req_id {
            v["req_id"] = r.clone();
        }
        v["time_in"] = json!(time_in);
        v["time_out"] = json!(now_text(st));
        v
    };
    match method {
        "ping" => vec![answer(json!({"method": "pong"}))],
        "subscribe" | "unsubscribe" => {
            let params = msg.get("params").cloned().unwrap_or(Value::Null);
            let channel = params.get("channel").and_then(Value::as_str).unwrap_or("");
            let set = match channel {
                "trade" => &mut subs.trade,
                "ticker" => &mut subs.ticker,
                _ => {
                    return vec![answer(json!({
                        "error": format!("Channel {} not found", channel.chars().take(40).collect::<String>()),
                        "method": method,
                        "success": false,
                    }))]
                }
            };
            let Some(names) = params.get("symbol").and_then(Value::as_array) else {
                return vec![answer(
                    json!({"error": "Missing field: symbol", "method": method, "success": false}),
                )];
            };
            let symbols = lock(&st.engine).symbols();
            let snapshot = params
                .get("snapshot")
                .and_then(Value::as_bool)
                .unwrap_or(channel == "ticker");
            let mut out = Vec::new();
            for n in names {
                let name = n.as_str().unwrap_or("");
                let shown: String = name.chars().take(40).collect();
                let Some((_, s)) = find_pair(&symbols, name).filter(|_| name.contains('/')) else {
                    out.push(answer(json!({
                        "error": format!("Currency pair not supported {shown}"),
                        "method": method,
                        "success": false,
                        "symbol": shown,
                    })));
                    continue;
                };
                let key = s.symbol.to_string();
                if method == "subscribe" {
                    set.insert(key.clone());
                } else {
                    set.remove(&key);
                }
                out.push(answer(json!({
                    "method": method,
                    "result": {"channel": channel, "snapshot": snapshot, "symbol": wsname(s)},
                    "success": true,
                })));
                if method == "subscribe" && snapshot {
                    out.extend(snapshot_of(st, channel, s));
                }
            }
            out
        }
        _ => vec![answer(
            json!({"error": "Method not found", "method": method, "success": false}),
        )],
    }
}

fn trade_item(
    s: &SymbolInfo,
    price: Decimal,
    qty: Decimal,
    buyer_is_maker: bool,
    id: u64,
    time_ms: u64,
) -> Value {
    json!({
        "symbol": wsname(s),
        // The taker's side: a maker buyer means the taker sold.
        "side": if buyer_is_maker { "sell" } else { "buy" },
        "price": num(price),
        "qty": num(qty),
        "ord_type": "limit",
        "trade_id": id,
        "timestamp": rfc3339_us(time_ms.saturating_mul(1000)),
    })
}

fn ticker_item(
    st: &AppState,
    s: &SymbolInfo,
    bid: (Decimal, Decimal),
    ask: (Decimal, Decimal),
) -> Option<Value> {
    let t = lock(&st.engine)
        .ticker_24h(s.symbol.as_str(), st.now_ms())
        .ok()?;
    Some(json!({
        "symbol": wsname(s),
        "bid": num(bid.0),
        "bid_qty": num(bid.1),
        "ask": num(ask.0),
        "ask_qty": num(ask.1),
        "last": num(t.last_price),
        "volume": num(t.volume),
        "vwap": num(t.weighted_avg_price),
        "low": num(t.low_price),
        "high": num(t.high_price),
        "change": num(t.price_change),
        "change_pct": num(t.price_change_percent),
    }))
}

fn snapshot_of(st: &AppState, channel: &str, s: &SymbolInfo) -> Vec<Value> {
    let data: Vec<Value> = if channel == "trade" {
        let trades = lock(&st.engine)
            .recent_trades(s.symbol.as_str(), TRADE_SNAPSHOT)
            .unwrap_or_default();
        trades
            .iter()
            .map(|t| trade_item(s, t.price, t.qty, t.is_buyer_maker, t.id, t.time))
            .collect()
    } else {
        let bt = lock(&st.engine).book_ticker(s.symbol.as_str()).ok();
        bt.and_then(|b| ticker_item(st, s, (b.bid_price, b.bid_qty), (b.ask_price, b.ask_qty)))
            .into_iter()
            .collect()
    };
    vec![json!({"channel": channel, "type": "snapshot", "data": data})]
}

/// The messages a batch of engine events makes for this connection's subscriptions.
fn forward(st: &AppState, subs: &Subs, batch: &Arc<Batch>) -> Vec<Value> {
    if subs.trade.is_empty() && subs.ticker.is_empty() {
        return Vec::new();
    }
    let symbols = lock(&st.engine).symbols();
    let info = |name: &str| symbols.iter().find(|s| s.symbol.as_str() == name);
    let mut trades: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for e in &batch.events {
        match e {
            EngineEvent::Trade(t) if subs.trade.contains(t.symbol.as_str()) => {
                if let Some(s) = info(t.symbol.as_str()) {
                    trades.push(trade_item(
                        s,
                        t.price,
                        t.qty,
                        t.buyer_is_maker,
                        t.id,
                        t.time,
                    ));
                }
            }
            EngineEvent::BookTicker(b) if subs.ticker.contains(b.symbol.as_str()) => {
                if let Some(item) = info(b.symbol.as_str()).and_then(|s| {
                    ticker_item(st, s, (b.bid_price, b.bid_qty), (b.ask_price, b.ask_qty))
                }) {
                    out.push(json!({"channel": "ticker", "type": "update", "data": [item]}));
                }
            }
            _ => {}
        }
    }
    if !trades.is_empty() {
        out.insert(
            0,
            json!({"channel": "trade", "type": "update", "data": trades}),
        );
    }
    out
}
