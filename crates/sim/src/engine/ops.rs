//! Framing of one mutating operation: remember the best bid/ask, collect changes, and at the
//! end turn them into events (trades, depth diff, book ticker, account positions).

use super::engine::{Engine, FEE_ACCOUNT, HOUSE_ACCOUNT};
use super::events::{
    AccountPositionEvent, BookTickerEvent, DepthUpdateEvent, EngineEvent, TradeEvent,
};
use super::types::Side;

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
            mk.bbo_before = Some((mk.book.best(Side::Buy), mk.book.best(Side::Sell)));
        }
    }

    /// Abandons an operation that changed nothing.
    pub(crate) fn abort(&mut self) {
        self.events.clear();
        self.ledger.clear_dirty();
        for mk in &mut self.markets {
            mk.bbo_before = None;
            mk.changed_bids.clear();
            mk.changed_asks.clear();
            mk.pending_trades.clear();
        }
    }

    /// Ends the operation and returns its events.
    pub(crate) fn finish(&mut self, now: u64) -> Vec<EngineEvent> {
        let mut events = std::mem::take(&mut self.events);
        for mk in &mut self.markets {
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
                let level =
                    |side: Side, p| mk.book.level(side, p).map(|l| l.qty).unwrap_or_default();
                let bids: Vec<_> = mk
                    .changed_bids
                    .iter()
                    .map(|p| (*p, level(Side::Buy, *p)))
                    .collect();
                let asks: Vec<_> = mk
                    .changed_asks
                    .iter()
                    .map(|p| (*p, level(Side::Sell, *p)))
                    .collect();
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
            if (bid0, ask0) != (bid1, ask1) {
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
        events
    }
}
