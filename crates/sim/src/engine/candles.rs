//! Closing candles on time: [`Engine::close_klines`] reports every candle (of every market
//! and interval) that ended since the last call, so `kline` streams can push the final
//! `"x": true` update when the interval ends instead of waiting for the next trade.
//!
//! Candles are the ones the REST `klines` endpoint serves: built from trades, so an interval
//! without trades has no candle and reports nothing (like its REST answer). The first call
//! on a market reports only the latest closed candle of each interval, not the whole history.

use super::engine::Engine;
use super::events::{EngineEvent, KlineClosedEvent};
use super::market::Market;
use super::marketdata::Kline;
use super::types::KlineInterval;

impl Engine {
    /// The candles that closed by `now_ms` (close time before it) and were not reported yet,
    /// per market in config order, per interval from 1m to 1d, oldest first. Call it on a
    /// timer (the server does every second).
    pub fn close_klines(&mut self, now_ms: u64) -> Vec<EngineEvent> {
        let mut events = Vec::new();
        self.close_klines_into(now_ms, &mut events);
        events
    }

    /// [`Engine::close_klines`] into a reusable buffer: appends the events to `events`.
    pub fn close_klines_into(&mut self, now_ms: u64, events: &mut Vec<EngineEvent>) {
        for mk in &mut self.markets {
            for (i, iv) in KlineInterval::ALL.into_iter().enumerate() {
                let Some(reported) = mk.klines_closed.get(i).copied() else {
                    continue;
                };
                let closed = closed_since(mk, iv, reported, now_ms);
                let Some(last) = closed.last() else {
                    continue;
                };
                let newest = last.close_time;
                // First call: only the latest closed candle, not the history.
                let skip = if reported == 0 { closed.len() - 1 } else { 0 };
                for kline in closed.into_iter().skip(skip) {
                    events.push(EngineEvent::KlineClosed(KlineClosedEvent {
                        symbol: mk.info.symbol,
                        interval: iv,
                        kline,
                    }));
                }
                if let Some(r) = mk.klines_closed.get_mut(i) {
                    *r = newest;
                }
            }
        }
    }
}

/// Candles of `iv` that closed before `now` with a close time after `reported`, oldest
/// first, aggregated from the market's 1-minute candles (scanned from the newest back).
fn closed_since(mk: &Market, iv: KlineInterval, reported: u64, now: u64) -> Vec<Kline> {
    let len = iv.millis();
    let mut newest_first: Vec<Kline> = Vec::new();
    for k in mk.klines.iter().rev() {
        let open_time = k.open_time - k.open_time % len;
        let close_time = open_time + len - 1;
        if close_time <= reported {
            break;
        }
        match newest_first.last_mut() {
            // An older minute of the same candle: it opened the candle.
            Some(agg) if agg.open_time == open_time => {
                agg.open = k.open;
                agg.high = agg.high.max(k.high);
                agg.low = agg.low.min(k.low);
                agg.volume += k.volume;
                agg.quote_volume += k.quote_volume;
                agg.trades += k.trades;
                agg.taker_buy_base_volume += k.taker_buy_base_volume;
                agg.taker_buy_quote_volume += k.taker_buy_quote_volume;
            }
            _ => newest_first.push(Kline {
                open_time,
                close_time,
                ..*k
            }),
        }
    }
    newest_first.retain(|k| k.close_time < now);
    newest_first.reverse();
    newest_first
}
