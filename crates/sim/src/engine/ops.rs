//! Framing of one mutating operation: remember the best bid/ask, collect changes, and at the
//! end turn them into events (trades, depth diff, book ticker, account positions).

use super::book::Px;
use super::engine::{Engine, FEE_ACCOUNT, HOUSE_ACCOUNT};
use super::events::{
    AccountPositionEvent, BookTickerEvent, DepthUpdateEvent, EngineEvent, Levels, TradeEvent,
};
use super::types::Side;
use rust_decimal::Decimal;

/// Events reserved per operation up front.
const EVENTS_HINT: usize = 8;

impl Engine {
    /// Starts an operation touching market `m` (more markets may be begun in the same op).
    pub(crate) fn begin(&mut self, m: usize) {
        if self.events.capacity() == 0 {
            // The events of one operation (usually 3–8) in one allocation instead of a
            // chain of doublings: the Vec is handed to the caller at `finish`.
            self.events.reserve(EVENTS_HINT);
        }
        let mk = &mut self.markets[m];
        if mk.bbo_before.is_none() {
            self.touched.push(m as u32);
            mk.bbo_before = Some((mk.book.best(Side::Buy), mk.book.best(Side::Sell)));
        }
    }

    /// Runs `op` with the caller's buffer as the event buffer: events land in `buf` directly
    /// (after what it already holds) instead of being moved there afterwards.
    pub(crate) fn with_sink<R>(
        &mut self,
        buf: &mut Vec<EngineEvent>,
        op: impl FnOnce(&mut Self) -> R,
    ) -> R {
        std::mem::swap(&mut self.events, buf);
        self.events_mark = self.events.len();
        let r = op(self);
        std::mem::swap(&mut self.events, buf);
        self.events_mark = 0;
        r
    }

    /// Abandons an operation that changed nothing.
    pub(crate) fn abort(&mut self) {
        self.events.truncate(self.events_mark);
        self.ledger.clear_dirty();
        self.touched.clear();
        for mk in &mut self.markets {
            mk.bbo_before = None;
            mk.changed_bids.clear();
            mk.changed_asks.clear();
            mk.pending_trades.clear();
        }
    }

    /// Ends the operation and returns its events (the engine's own buffer, handed over).
    pub(crate) fn finish(&mut self, now: u64) -> Vec<EngineEvent> {
        self.finish_in_place(now);
        std::mem::take(&mut self.events)
    }

    /// Ends the operation: appends its market-data and balance events to `self.events`.
    pub(crate) fn finish_in_place(&mut self, now: u64) {
        let events = &mut self.events;
        // Markets in index order, as a scan of all of them would visit them.
        self.touched.sort_unstable();
        let mut touched = std::mem::take(&mut self.touched);
        for &m in &touched {
            let Some(mk) = self.markets.get_mut(m as usize) else {
                continue;
            };
            let Some((bid0, ask0)) = mk.bbo_before.take() else {
                continue;
            };
            let symbol = mk.info.symbol;
            for t in mk.pending_trades.drain(..) {
                events.push(EngineEvent::Trade(TradeEvent {
                    symbol,
                    id: t.id,
                    price: t.price,
                    qty: t.qty,
                    buyer_is_maker: t.is_buyer_maker,
                    time: t.time,
                }));
            }
            if !mk.changed_bids.is_empty() || !mk.changed_asks.is_empty() {
                let bids = Levels::from_slice(mk.changed_bids.levels());
                let asks = Levels::from_slice(mk.changed_asks.levels());
                let n = (bids.len() + asks.len()) as u64;
                let first = mk.update_id + 1;
                mk.update_id += n;
                events.push(EngineEvent::DepthUpdate(DepthUpdateEvent {
                    symbol,
                    first_update_id: first,
                    final_update_id: mk.update_id,
                    bids,
                    asks,
                    time: now,
                }));
                mk.changed_bids.clear();
                mk.changed_asks.clear();
            }
            let (bid1, ask1) = (mk.book.best(Side::Buy), mk.book.best(Side::Sell));
            if !same_quote(bid0, bid1) || !same_quote(ask0, ask1) {
                let (bid_price, bid_qty) = bid1.unwrap_or_default();
                let (ask_price, ask_qty) = ask1.unwrap_or_default();
                events.push(EngineEvent::BookTicker(BookTickerEvent {
                    symbol,
                    update_id: mk.update_id,
                    bid_price,
                    bid_qty,
                    ask_price,
                    ask_qty,
                    time: now,
                }));
            }
        }
        touched.clear();
        self.touched = touched;
        self.ledger.drain_dirty(
            |acc| acc == HOUSE_ACCOUNT || acc == FEE_ACCOUNT,
            |account, balances| {
                events.push(EngineEvent::AccountPosition(AccountPositionEvent {
                    account,
                    balances,
                    time: now,
                }))
            },
        );
    }
}

/// Equal (price, qty) best quotes, compared on the book keys' fast path (same values as
/// `Decimal`'s `==`).
fn same_quote(a: Option<(Decimal, Decimal)>, b: Option<(Decimal, Decimal)>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some((p0, q0)), Some((p1, q1))) => Px(p0) == Px(p1) && Px(q0) == Px(q1),
        _ => false,
    }
}
