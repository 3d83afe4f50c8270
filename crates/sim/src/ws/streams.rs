//! Stream names (`btcusdt@trade`, `btcusdt@depth5@100ms`, `btcusdt@kline_1m`, a listen key)
//! and the Binance JSON each stream carries for an engine event.

use crate::api::json::{d8, levels};
use crate::engine::{AccountId, DepthSnapshot, EngineEvent, ExecutionType, Kline, KlineInterval};
use serde_json::{json, Value};

/// What a subscription delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `@trade`.
    Trade,
    /// `@aggTrade` (each trade is its own aggregate).
    AggTrade,
    /// `@bookTicker`.
    BookTicker,
    /// `@depth` / `@depth@100ms`: diffs.
    DepthDiff,
    /// `@depth5|10|20[@100ms]`: top-of-book snapshots every `ms`.
    DepthPartial {
        /// Levels per side.
        levels: usize,
        /// Push period.
        ms: u64,
    },
    /// `@kline_<interval>`.
    Kline(KlineInterval),
    /// A listen key: executionReport and outboundAccountPosition of the account.
    User(AccountId),
}

/// One subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    /// The name as the client wrote it (echoed in combined payloads and LIST_SUBSCRIPTIONS).
    pub name: String,
    /// Uppercase symbol ("" for user streams).
    pub symbol: String,
    /// What it carries.
    pub kind: Kind,
}

/// Parses a market stream name (lowercase symbol, like Binance); `user` resolves listen keys.
pub fn parse(name: &str, user: impl Fn(&str) -> Option<AccountId>) -> Option<Stream> {
    let Some((sym, rest)) = name.split_once('@') else {
        return user(name).map(|a| Stream {
            name: name.to_string(),
            symbol: String::new(),
            kind: Kind::User(a),
        });
    };
    if sym.is_empty()
        || sym.len() > 20
        || !sym
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return None;
    }
    let kind = match rest {
        "trade" => Kind::Trade,
        "aggTrade" => Kind::AggTrade,
        "bookTicker" => Kind::BookTicker,
        "depth" | "depth@100ms" | "depth@1000ms" => Kind::DepthDiff,
        _ => {
            if let Some(iv) = rest.strip_prefix("kline_") {
                Kind::Kline(KlineInterval::parse(iv)?)
            } else if let Some(d) = rest.strip_prefix("depth") {
                let (n, speed) = d.split_once('@').unwrap_or((d, "1000ms"));
                let levels = match n {
                    "5" => 5,
                    "10" => 10,
                    "20" => 20,
                    _ => return None,
                };
                let ms = match speed {
                    "100ms" => 100,
                    "1000ms" => 1000,
                    _ => return None,
                };
                Kind::DepthPartial { levels, ms }
            } else {
                return None;
            }
        }
    };
    Some(Stream {
        name: name.to_string(),
        symbol: sym.to_ascii_uppercase(),
        kind,
    })
}

/// The payload of `stream` for `event`, None when the event is not for it. Kline streams
/// need the engine's current candle, which the caller passes as `kline`.
pub fn render(
    stream: &Stream,
    event: &EngineEvent,
    now_ms: u64,
    kline: impl FnOnce() -> Option<Kline>,
) -> Option<Value> {
    match (&stream.kind, event) {
        (Kind::Trade, EngineEvent::Trade(t)) if t.symbol.as_str() == stream.symbol => Some(json!({
            "e": "trade", "E": now_ms, "s": t.symbol.as_str(), "t": t.id, "p": d8(t.price), "q": d8(t.qty),
            "T": t.time, "m": t.buyer_is_maker, "M": true
        })),
        (Kind::AggTrade, EngineEvent::Trade(t)) if t.symbol.as_str() == stream.symbol => {
            Some(json!({
                "e": "aggTrade", "E": now_ms, "s": t.symbol.as_str(), "a": t.id, "p": d8(t.price), "q": d8(t.qty),
                "f": t.id, "l": t.id, "T": t.time, "m": t.buyer_is_maker, "M": true
            }))
        }
        (Kind::BookTicker, EngineEvent::BookTicker(b)) if b.symbol.as_str() == stream.symbol => {
            Some(json!({
                "u": b.update_id, "s": b.symbol.as_str(), "b": d8(b.bid_price), "B": d8(b.bid_qty),
                "a": d8(b.ask_price), "A": d8(b.ask_qty)
            }))
        }
        (Kind::DepthDiff, EngineEvent::DepthUpdate(d)) if d.symbol.as_str() == stream.symbol => {
            Some(json!({
                "e": "depthUpdate", "E": now_ms, "s": d.symbol.as_str(), "U": d.first_update_id,
                "u": d.final_update_id, "b": levels(&d.bids), "a": levels(&d.asks)
            }))
        }
        (Kind::Kline(iv), EngineEvent::Trade(t)) if t.symbol.as_str() == stream.symbol => {
            let k = kline()?;
            Some(kline_event(
                &stream.symbol,
                *iv,
                &k,
                now_ms,
                now_ms > k.close_time,
            ))
        }
        (Kind::Kline(iv), EngineEvent::KlineClosed(c))
            if c.interval == *iv && c.symbol.as_str() == stream.symbol =>
        {
            Some(kline_event(&stream.symbol, *iv, &c.kline, now_ms, true))
        }
        (Kind::User(a), EngineEvent::ExecutionReport(r)) if r.account == *a => {
            Some(execution_report(r, now_ms))
        }
        (Kind::User(a), EngineEvent::AccountPosition(p)) if p.account == *a => Some(json!({
            "e": "outboundAccountPosition", "E": now_ms, "u": p.time,
            "B": p.balances.iter().map(|b| json!({"a": b.asset.as_str(), "f": d8(b.free), "l": d8(b.locked)})).collect::<Vec<_>>()
        })),
        _ => None,
    }
}

/// A partial-depth payload.
pub fn partial_depth(d: &DepthSnapshot) -> Value {
    json!({"lastUpdateId": d.last_update_id, "bids": levels(&d.bids), "asks": levels(&d.asks)})
}

fn kline_event(symbol: &str, iv: KlineInterval, k: &Kline, now_ms: u64, closed: bool) -> Value {
    json!({
        "e": "kline", "E": now_ms, "s": symbol,
        "k": {
            "t": k.open_time, "T": k.close_time, "s": symbol, "i": iv.as_str(), "f": -1, "L": -1,
            "o": d8(k.open), "c": d8(k.close), "h": d8(k.high), "l": d8(k.low), "v": d8(k.volume),
            "n": k.trades, "x": closed, "q": d8(k.quote_volume),
            "V": d8(k.taker_buy_base_volume), "Q": d8(k.taker_buy_quote_volume), "B": "0"
        }
    })
}

fn execution_report(r: &crate::engine::ExecutionReportEvent, now_ms: u64) -> Value {
    let o = &r.order;
    let f = r
        .last_fill()
        .filter(|_| r.execution_type == ExecutionType::Trade);
    json!({
        "e": "executionReport", "E": now_ms, "s": o.symbol.as_str(), "c": r.client_order_id().as_str(),
        "S": o.side.as_str(), "o": o.order_type.as_str(), "f": o.time_in_force.as_str(),
        "q": d8(o.orig_qty), "p": d8(o.price), "P": d8(o.stop_price), "F": d8(rust_decimal::Decimal::ZERO),
        "g": -1, "C": r.orig_client_order_id().as_str(), "x": r.execution_type.as_str(), "X": o.status.as_str(), "r": "NONE",
        "i": o.order_id,
        "l": d8(f.map(|f| f.qty).unwrap_or_default()),
        "z": d8(o.executed_qty),
        "L": d8(f.map(|f| f.price).unwrap_or_default()),
        "n": d8(f.map(|f| f.commission).unwrap_or_default()),
        "N": f.map(|f| Value::from(f.commission_asset.as_str())).unwrap_or(Value::Null),
        "T": r.transaction_time,
        "t": f.map(|f| f.trade_id as i64).unwrap_or(-1),
        "I": 0, "w": o.is_working && o.status.is_open(), "m": f.map(|f| f.is_maker).unwrap_or(false), "M": false,
        "O": o.time, "Z": d8(o.cummulative_quote_qty),
        "Y": d8(f.map(|f| f.quote_qty).unwrap_or_default()),
        "Q": d8(o.orig_quote_order_qty), "W": o.working_time, "V": "NONE"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_user(_: &str) -> Option<AccountId> {
        None
    }

    #[test]
    fn parses_binance_stream_names() {
        assert_eq!(parse("btcusdt@trade", no_user).unwrap().kind, Kind::Trade);
        assert_eq!(parse("btcusdt@trade", no_user).unwrap().symbol, "BTCUSDT");
        assert_eq!(
            parse("ethusdt@depth5", no_user).unwrap().kind,
            Kind::DepthPartial {
                levels: 5,
                ms: 1000
            }
        );
        assert_eq!(
            parse("ethusdt@depth20@100ms", no_user).unwrap().kind,
            Kind::DepthPartial {
                levels: 20,
                ms: 100
            }
        );
        assert_eq!(
            parse("ethusdt@depth@100ms", no_user).unwrap().kind,
            Kind::DepthDiff
        );
        assert_eq!(
            parse("ethusdt@kline_1m", no_user).unwrap().kind,
            Kind::Kline(KlineInterval::M1)
        );
        assert!(parse("BTCUSDT@trade", no_user).is_none());
        assert!(parse("btcusdt@depth7", no_user).is_none());
        assert!(parse("btcusdt@nope", no_user).is_none());
        assert!(parse("somekey", no_user).is_none());
        let k = parse("somekey", |k| (k == "somekey").then_some(AccountId(3))).unwrap();
        assert_eq!(k.kind, Kind::User(AccountId(3)));
    }
}
