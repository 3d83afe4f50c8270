//! Parsers of Binance WebSocket frames: market streams (`trade`, `bookTicker`, raw or wrapped
//! in a combined stream's `{"stream", "data"}`) and the user data stream
//! (`executionReport`, `outboundAccountPosition`, `listenKeyExpired`).
//!
//! A frame is parsed to a JSON tree first (to dispatch on its event type), then into a typed
//! struct. Control answers (`{"result": null, "id": 1}`) and event types we do not use parse
//! to `Ok(None)`; anything malformed is an error that never quotes the frame.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use tradeward_domain::{Symbol, Venue};

use super::de::{dec, non_negative, short_text};
use super::enums::{RawExecType, RawOrderType, RawSide, RawStatus};
use super::rest::balance;
use crate::error::ExchangeError;
use crate::types::{Balance, Fill, MarketData, MarketEvent, OrderReport, OrderUpdate, UserEvent};

fn tree(what: &'static str, text: &str) -> Result<Value, ExchangeError> {
    serde_json::from_str(text).map_err(|e| ExchangeError::from_json(what, &e))
}

fn typed<T: DeserializeOwned>(what: &'static str, v: Value) -> Result<T, ExchangeError> {
    serde_json::from_value(v).map_err(|e| ExchangeError::from_json(what, &e))
}

/// Unwraps a combined-stream envelope; returns the payload.
fn payload(what: &'static str, v: Value) -> Result<Option<Value>, ExchangeError> {
    let Value::Object(mut map) = v else {
        return Err(ExchangeError::malformed(what, "frame is not a JSON object"));
    };
    if map.contains_key("result") && map.contains_key("id") {
        return Ok(None); // an answer to SUBSCRIBE / LIST_SUBSCRIPTIONS
    }
    if map.contains_key("error") {
        return Err(ExchangeError::malformed(
            what,
            "the stream sent an error frame",
        ));
    }
    if map.contains_key("stream") {
        return match map.remove("data") {
            Some(data @ Value::Object(_)) => Ok(Some(data)),
            _ => Err(ExchangeError::malformed(
                what,
                "combined frame has no object `data`",
            )),
        };
    }
    Ok(Some(Value::Object(map)))
}

fn event_type(v: &Value) -> Option<&str> {
    v.get("e").and_then(Value::as_str)
}

#[derive(Deserialize)]
struct RawTrade {
    #[serde(rename = "E")]
    event_time: u64,
    s: String,
    t: u64,
    #[serde(deserialize_with = "dec")]
    p: Decimal,
    #[serde(deserialize_with = "dec")]
    q: Decimal,
    #[serde(rename = "T")]
    trade_time: Option<u64>,
}

#[derive(Deserialize)]
struct RawBookTicker {
    u: u64,
    s: String,
    #[serde(deserialize_with = "dec")]
    b: Decimal,
    #[serde(rename = "B", deserialize_with = "dec")]
    bid_qty: Decimal,
    #[serde(deserialize_with = "dec")]
    a: Decimal,
    #[serde(rename = "A", deserialize_with = "dec")]
    ask_qty: Decimal,
}

fn positive(what: &'static str, field: &str, v: Decimal) -> Result<Decimal, ExchangeError> {
    if v > Decimal::ZERO {
        Ok(v)
    } else {
        Err(ExchangeError::malformed(
            what,
            format!("`{field}` is not positive"),
        ))
    }
}

/// One market-stream frame as a [`MarketEvent`]; `Ok(None)` for control answers and streams
/// we do not use. `resolve` maps the venue's symbol to ours (only subscribed symbols resolve);
/// `received_at_ms` stamps the event.
pub fn parse_market_frame(
    venue: Venue,
    text: &str,
    resolve: &dyn Fn(&str) -> Option<Symbol>,
    received_at_ms: u64,
) -> Result<Option<MarketEvent>, ExchangeError> {
    const WHAT: &str = "market frame";
    let Some(data) = payload(WHAT, tree(WHAT, text)?)? else {
        return Ok(None);
    };
    let unknown = || ExchangeError::malformed(WHAT, "`s` is not a subscribed symbol");
    match event_type(&data) {
        Some("trade") => {
            let t: RawTrade = typed(WHAT, data)?;
            let symbol = resolve(&t.s).ok_or_else(unknown)?;
            Ok(Some(MarketEvent {
                venue,
                symbol,
                data: MarketData::Trade {
                    trade_id: t.t,
                    price: positive(WHAT, "p", t.p)?,
                    qty: non_negative(WHAT, "q", t.q)?,
                },
                exchange_time_ms: Some(t.trade_time.unwrap_or(t.event_time)),
                received_at_ms,
            }))
        }
        // bookTicker frames carry no event type; they are recognised by their update id.
        None if data.get("u").is_some() && data.get("b").is_some() => {
            let b: RawBookTicker = typed(WHAT, data)?;
            let symbol = resolve(&b.s).ok_or_else(unknown)?;
            let bid = non_negative(WHAT, "b", b.b)?;
            let ask = non_negative(WHAT, "a", b.a)?;
            if !bid.is_zero() && !ask.is_zero() && bid > ask {
                return Err(ExchangeError::malformed(WHAT, "best bid is above best ask"));
            }
            Ok(Some(MarketEvent {
                venue,
                symbol,
                data: MarketData::BookTicker {
                    update_id: b.u,
                    bid,
                    bid_qty: non_negative(WHAT, "B", b.bid_qty)?,
                    ask,
                    ask_qty: non_negative(WHAT, "A", b.ask_qty)?,
                },
                exchange_time_ms: None,
                received_at_ms,
            }))
        }
        _ => Ok(None),
    }
}

/// What a user-data-stream frame meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFrame {
    /// An event to pass on.
    Event(UserEvent),
    /// The listen key expired: create a new one and reconnect.
    ListenKeyExpired,
}

#[derive(Deserialize)]
struct RawExecutionReport {
    #[serde(rename = "E")]
    event_time: u64,
    s: String,
    c: String,
    #[serde(rename = "S")]
    side: RawSide,
    o: RawOrderType,
    #[serde(deserialize_with = "dec")]
    q: Decimal,
    #[serde(deserialize_with = "dec")]
    p: Decimal,
    #[serde(rename = "C", default)]
    orig_client_id: Option<String>,
    x: RawExecType,
    #[serde(rename = "X")]
    status: RawStatus,
    i: u64,
    #[serde(deserialize_with = "dec")]
    l: Decimal,
    #[serde(deserialize_with = "dec")]
    z: Decimal,
    #[serde(rename = "L", deserialize_with = "dec")]
    last_price: Decimal,
    #[serde(deserialize_with = "dec")]
    n: Decimal,
    #[serde(rename = "N", default)]
    commission_asset: Option<String>,
    #[serde(rename = "T")]
    transaction_time: u64,
    t: i64,
    #[serde(default)]
    m: bool,
    #[serde(rename = "Z", deserialize_with = "dec")]
    cumulative_quote: Decimal,
}

#[derive(Deserialize)]
struct RawPosition {
    #[serde(rename = "E")]
    event_time: u64,
    #[serde(rename = "B")]
    balances: Vec<RawPositionBalance>,
}

#[derive(Deserialize)]
struct RawPositionBalance {
    a: String,
    #[serde(deserialize_with = "dec")]
    f: Decimal,
    #[serde(deserialize_with = "dec")]
    l: Decimal,
}

fn execution_report(
    venue: Venue,
    r: RawExecutionReport,
    resolve: &dyn Fn(&str) -> Option<Symbol>,
) -> Result<OrderUpdate, ExchangeError> {
    const WHAT: &str = "executionReport";
    let symbol =
        resolve(&r.s).ok_or_else(|| ExchangeError::malformed(WHAT, "`s` is not a known symbol"))?;
    short_text(WHAT, "c", &r.c, 64)?;
    let fill = if matches!(r.x, RawExecType::Trade) {
        let trade_id = u64::try_from(r.t)
            .map_err(|_| ExchangeError::malformed(WHAT, "a trade has no trade id `t`"))?;
        if let Some(a) = &r.commission_asset {
            short_text(WHAT, "N", a, 32)?;
        }
        Some(Fill {
            trade_id,
            price: positive(WHAT, "L", r.last_price)?,
            qty: positive(WHAT, "l", r.l)?,
            commission: non_negative(WHAT, "n", r.n)?,
            commission_asset: r.commission_asset,
            is_maker: r.m,
        })
    } else {
        None
    };
    let orig = r.orig_client_id.filter(|c| !c.is_empty());
    if let Some(o) = &orig {
        short_text(WHAT, "C", o, 64)?;
    }
    Ok(OrderUpdate {
        report: OrderReport {
            venue,
            symbol,
            venue_order_id: r.i.to_string(),
            // A cancel's report is about the original order: name it by its id.
            client_order_id: orig.clone().unwrap_or_else(|| r.c.clone()),
            side: r.side.into(),
            order_type: r.o.into(),
            status: r.status.into(),
            price: non_negative(WHAT, "p", r.p)?,
            orig_qty: non_negative(WHAT, "q", r.q)?,
            executed_qty: non_negative(WHAT, "z", r.z)?,
            cumulative_quote_qty: r.cumulative_quote.max(Decimal::ZERO),
            update_time_ms: Some(r.transaction_time),
        },
        execution: r.x.into(),
        fill,
        orig_client_order_id: orig,
        exchange_time_ms: r.event_time,
    })
}

/// One user-data-stream frame; `Ok(None)` for events Tradeward does not use
/// (`balanceUpdate`, `listStatus`, ...).
pub fn parse_user_frame(
    venue: Venue,
    text: &str,
    resolve: &dyn Fn(&str) -> Option<Symbol>,
) -> Result<Option<UserFrame>, ExchangeError> {
    const WHAT: &str = "user stream frame";
    let Some(data) = payload(WHAT, tree(WHAT, text)?)? else {
        return Ok(None);
    };
    match event_type(&data) {
        Some("executionReport") => {
            let r: RawExecutionReport = typed(WHAT, data)?;
            let update = execution_report(venue, r, resolve)?;
            Ok(Some(UserFrame::Event(UserEvent::Order(Box::new(update)))))
        }
        Some("outboundAccountPosition") => {
            let p: RawPosition = typed(WHAT, data)?;
            let balances = p
                .balances
                .into_iter()
                .map(|b| balance(WHAT, b.a, b.f, b.l))
                .collect::<Result<Vec<Balance>, _>>()?;
            Ok(Some(UserFrame::Event(UserEvent::Balances {
                balances,
                exchange_time_ms: p.event_time,
            })))
        }
        Some("listenKeyExpired") => Ok(Some(UserFrame::ListenKeyExpired)),
        _ => Ok(None),
    }
}
