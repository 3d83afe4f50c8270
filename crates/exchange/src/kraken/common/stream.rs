//! Parser of Kraken WebSocket v2 market-data messages (`trade` and `ticker` channels).
//!
//! Amounts arrive as JSON numbers; they are read as decimals from the number's shortest
//! text, never through arithmetic on floats, and a number that does not fit a decimal is an
//! error. Status, heartbeat and acknowledgement messages produce no event.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};
use tradeward_domain::{Symbol, Venue};

use crate::error::ExchangeError;
use crate::types::{MarketData, MarketEvent};

struct NumDec;

impl Visitor<'_> for NumDec {
    type Value = Decimal;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        // `Display` of an f64 is its shortest round-trip text (0.1 prints "0.1").
        let text = v.to_string();
        if text.len() > 64 {
            return Err(E::custom("number out of range"));
        }
        Decimal::from_str(&text).map_err(|_| E::custom("number out of range"))
    }
}

fn num<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(NumDec)
}

/// ms since the epoch of `YYYY-MM-DDTHH:MM:SS[.frac]Z`.
pub(crate) fn rfc3339_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 || b.len() > 40 || *b.last()? != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, sec) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let frac_ms = match &s[19..s.len() - 1] {
        "" => 0,
        f if f.starts_with('.') && f.len() > 1 && f[1..].bytes().all(|c| c.is_ascii_digit()) => {
            let mut ms = 0i64;
            for (i, c) in f[1..].bytes().take(3).enumerate() {
                ms += i64::from(c - b'0') * [100, 10, 1][i];
            }
            ms
        }
        _ => return None,
    };
    // Howard Hinnant's days_from_civil.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = ((days * 86_400 + h * 3600 + mi * 60 + sec) * 1000) + frac_ms;
    u64::try_from(ms).ok()
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(default)]
    channel: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    success: Option<bool>,
}

#[derive(Deserialize)]
struct RawTrade {
    symbol: String,
    #[serde(deserialize_with = "num")]
    price: Decimal,
    #[serde(deserialize_with = "num")]
    qty: Decimal,
    trade_id: u64,
    timestamp: String,
}

#[derive(Deserialize)]
struct RawTicker {
    symbol: String,
    #[serde(deserialize_with = "num")]
    bid: Decimal,
    #[serde(deserialize_with = "num")]
    bid_qty: Decimal,
    #[serde(deserialize_with = "num")]
    ask: Decimal,
    #[serde(deserialize_with = "num")]
    ask_qty: Decimal,
}

/// The market events of one WebSocket v2 message. `resolve` maps a v2 symbol (`BTC/USD`) to
/// the subscribed [`Symbol`]; `ticker_seq` numbers ticker updates (Kraken sends no update id).
pub fn parse_ws_message(
    venue: Venue,
    text: &str,
    resolve: &dyn Fn(&str) -> Option<Symbol>,
    received_at_ms: u64,
    ticker_seq: &mut u64,
) -> Result<Vec<MarketEvent>, ExchangeError> {
    const WHAT: &str = "market message";
    let m: RawMessage =
        serde_json::from_str(text).map_err(|e| ExchangeError::from_json(WHAT, &e))?;
    if m.method.is_some() {
        return match m.success {
            Some(false) => Err(ExchangeError::malformed(
                WHAT,
                "the venue refused a request",
            )),
            _ => Ok(Vec::new()),
        };
    }
    let (Some(channel), Some(data)) = (m.channel.as_deref(), m.data) else {
        return Ok(Vec::new());
    };
    if !matches!(m.kind.as_deref(), Some("update") | Some("snapshot")) {
        return Ok(Vec::new());
    }
    let unknown = || ExchangeError::malformed(WHAT, "an unsubscribed symbol");
    match channel {
        "trade" => {
            let items: Vec<RawTrade> =
                serde_json::from_value(data).map_err(|e| ExchangeError::from_json(WHAT, &e))?;
            items
                .into_iter()
                .map(|t| {
                    if t.price <= Decimal::ZERO || t.qty <= Decimal::ZERO {
                        return Err(ExchangeError::malformed(WHAT, "non-positive trade"));
                    }
                    let time = rfc3339_ms(&t.timestamp)
                        .ok_or_else(|| ExchangeError::malformed(WHAT, "bad timestamp"))?;
                    Ok(MarketEvent {
                        venue,
                        symbol: resolve(&t.symbol).ok_or_else(unknown)?,
                        data: MarketData::Trade {
                            trade_id: t.trade_id,
                            price: t.price,
                            qty: t.qty,
                        },
                        exchange_time_ms: Some(time),
                        received_at_ms,
                    })
                })
                .collect()
        }
        "ticker" => {
            let items: Vec<RawTicker> =
                serde_json::from_value(data).map_err(|e| ExchangeError::from_json(WHAT, &e))?;
            items
                .into_iter()
                .map(|t| {
                    if [t.bid, t.bid_qty, t.ask, t.ask_qty]
                        .iter()
                        .any(|d| *d < Decimal::ZERO)
                    {
                        return Err(ExchangeError::malformed(WHAT, "negative quote"));
                    }
                    *ticker_seq += 1;
                    Ok(MarketEvent {
                        venue,
                        symbol: resolve(&t.symbol).ok_or_else(unknown)?,
                        data: MarketData::BookTicker {
                            update_id: *ticker_seq,
                            bid: t.bid,
                            bid_qty: t.bid_qty,
                            ask: t.ask,
                            ask_qty: t.ask_qty,
                        },
                        exchange_time_ms: None,
                        received_at_ms,
                    })
                })
                .collect()
        }
        _ => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_ms("2023-09-25T07:49:37.708706Z"),
            Some(1_695_628_177_708)
        );
        for bad in [
            "",
            "2023-09-25 07:49:37Z",
            "2023-13-25T07:49:37Z",
            "2023-09-25T07:49:37.Z",
        ] {
            assert_eq!(rfc3339_ms(bad), None, "{bad}");
        }
    }
}
