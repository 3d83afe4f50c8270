//! Market-data queries for REST: depth, recent trades, book ticker, last price, klines and
//! rolling 24h statistics.

use super::engine::Engine;
use super::marketdata::{BookTicker, DepthSnapshot, Kline, PublicTrade, Ticker24h};
use super::reject::RejectReason;
use super::types::{KlineInterval, Side};
use rust_decimal::Decimal;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

impl Engine {
    /// Order book snapshot, `limit` levels per side (Binance allows up to 5000).
    pub fn depth(&self, symbol: &str, limit: usize) -> Result<DepthSnapshot, RejectReason> {
        let mk = self.market(symbol)?;
        let take = |side| {
            mk.book
                .levels(side)
                .take(limit)
                .map(|(p, l)| (*p, l.qty))
                .collect()
        };
        Ok(DepthSnapshot {
            last_update_id: mk.update_id,
            bids: take(Side::Buy),
            asks: take(Side::Sell),
        })
    }

    /// The most recent public trades, oldest first, at most `limit`.
    pub fn recent_trades(
        &self,
        symbol: &str,
        limit: usize,
    ) -> Result<Vec<PublicTrade>, RejectReason> {
        let mk = self.market(symbol)?;
        let skip = mk.tape.len().saturating_sub(limit);
        Ok(mk.tape.iter().skip(skip).copied().collect())
    }

    /// Best bid and ask.
    pub fn book_ticker(&self, symbol: &str) -> Result<BookTicker, RejectReason> {
        let mk = self.market(symbol)?;
        let (bid_price, bid_qty) = mk.book.best(Side::Buy).unwrap_or_default();
        let (ask_price, ask_qty) = mk.book.best(Side::Sell).unwrap_or_default();
        Ok(BookTicker {
            symbol: mk.info.symbol,
            bid_price,
            bid_qty,
            ask_price,
            ask_qty,
        })
    }

    /// Last trade price (the reference price before any trade).
    pub fn last_price(&self, symbol: &str) -> Result<Decimal, RejectReason> {
        Ok(self.market(symbol)?.last_price)
    }

    /// Klines built from the engine's trades (1-minute history of 7 days), filtered to
    /// `[start_ms, end_ms]` by open time; the most recent `limit` (1..=1000), oldest first.
    pub fn klines(
        &self,
        symbol: &str,
        interval: KlineInterval,
        start_ms: Option<u64>,
        end_ms: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Kline>, RejectReason> {
        let mk = self.market(symbol)?;
        let len = interval.millis();
        let mut out: Vec<Kline> = Vec::new();
        for k in &mk.klines {
            let open_time = k.open_time - k.open_time % len;
            match out.last_mut() {
                Some(agg) if agg.open_time == open_time => {
                    agg.high = agg.high.max(k.high);
                    agg.low = agg.low.min(k.low);
                    agg.close = k.close;
                    agg.volume += k.volume;
                    agg.quote_volume += k.quote_volume;
                    agg.trades += k.trades;
                    agg.taker_buy_base_volume += k.taker_buy_base_volume;
                    agg.taker_buy_quote_volume += k.taker_buy_quote_volume;
                }
                _ => out.push(Kline {
                    open_time,
                    close_time: open_time + len - 1,
                    ..*k
                }),
            }
        }
        out.retain(|k| {
            start_ms.is_none_or(|s| k.open_time >= s) && end_ms.is_none_or(|e| k.open_time <= e)
        });
        let limit = limit.clamp(1, 1000);
        if out.len() > limit {
            if start_ms.is_some() {
                out.truncate(limit);
            } else {
                out.drain(..out.len() - limit);
            }
        }
        Ok(out)
    }

    /// Rolling 24h statistics ending at `now_ms`, at 1-minute granularity.
    pub fn ticker_24h(&self, symbol: &str, now_ms: u64) -> Result<Ticker24h, RejectReason> {
        let mk = self.market(symbol)?;
        let from = now_ms.saturating_sub(DAY_MS);
        let window: Vec<&Kline> = mk
            .klines
            .iter()
            .filter(|k| k.close_time >= from && k.open_time <= now_ms)
            .collect();
        let prev_close = mk
            .klines
            .iter()
            .rev()
            .find(|k| k.close_time < from)
            .map(|k| k.close)
            .unwrap_or(Decimal::ZERO);
        let last = mk.last_price;
        let open = window.first().map(|k| k.open).unwrap_or(last);
        let high = window.iter().map(|k| k.high).max().unwrap_or(last);
        let low = window.iter().map(|k| k.low).min().unwrap_or(last);
        let volume: Decimal = window.iter().map(|k| k.volume).sum();
        let quote_volume: Decimal = window.iter().map(|k| k.quote_volume).sum();
        let count: u64 = window.iter().map(|k| k.trades).sum();
        let change = last - open;
        let pct = if open.is_zero() {
            Decimal::ZERO
        } else {
            (change / open * Decimal::ONE_HUNDRED).round_dp(3)
        };
        let wavg = if volume.is_zero() {
            Decimal::ZERO
        } else {
            (quote_volume / volume).round_dp(8)
        };
        let last_id = mk.next_trade_id as i64 - 1;
        let (first_id, last_id) = if count == 0 {
            (-1, -1)
        } else {
            (last_id - count as i64 + 1, last_id)
        };
        let (bid_price, bid_qty) = mk.book.best(Side::Buy).unwrap_or_default();
        let (ask_price, ask_qty) = mk.book.best(Side::Sell).unwrap_or_default();
        Ok(Ticker24h {
            symbol: mk.info.symbol,
            price_change: change,
            price_change_percent: pct,
            weighted_avg_price: wavg,
            prev_close_price: prev_close,
            last_price: last,
            last_qty: mk.last_qty,
            bid_price,
            bid_qty,
            ask_price,
            ask_qty,
            open_price: open,
            high_price: high,
            low_price: low,
            volume,
            quote_volume,
            open_time: from,
            close_time: now_ms,
            first_id,
            last_id,
            count,
        })
    }
}
