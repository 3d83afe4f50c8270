//! Per-market sequence checks: trade ids must go up by exactly one (Binance numbers a
//! symbol's trades consecutively), book update ids must go up. A step back is an old or
//! duplicated event (skipped); a jump in trade ids is a gap (events were lost: resync).

use crate::types::MarketData;

/// What a new event means for the sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// In order.
    Accept,
    /// Older than or equal to one already seen: skip it.
    Stale {
        /// The id seen last.
        last: u64,
        /// This event's id.
        got: u64,
    },
    /// Newer than expected: something was lost in between. The event itself is valid.
    Gap {
        /// The id that should have come.
        expected: u64,
        /// The id that came.
        got: u64,
    },
}

/// Last ids seen on one market.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceTracker {
    last_trade: Option<u64>,
    last_book: Option<u64>,
}

impl SequenceTracker {
    /// Forgets what was seen (after a reconnect: the new connection starts anywhere).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Checks `data` against the sequence and records it unless it is stale.
    pub fn check(&mut self, data: &MarketData) -> Verdict {
        match data {
            MarketData::Trade { trade_id, .. } => {
                let got = *trade_id;
                let verdict = match self.last_trade {
                    None => Verdict::Accept,
                    Some(last) if got <= last => return Verdict::Stale { last, got },
                    Some(last) if got == last.saturating_add(1) => Verdict::Accept,
                    Some(last) => Verdict::Gap {
                        expected: last.saturating_add(1),
                        got,
                    },
                };
                self.last_trade = Some(got);
                verdict
            }
            MarketData::BookTicker { update_id, .. } => {
                let got = *update_id;
                if let Some(last) = self.last_book {
                    if got <= last {
                        return Verdict::Stale { last, got };
                    }
                }
                // Book-ticker ids skip the updates below the top of the book: only order
                // matters, not continuity.
                self.last_book = Some(got);
                Verdict::Accept
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn trade(id: u64) -> MarketData {
        MarketData::Trade {
            trade_id: id,
            price: Decimal::ONE,
            qty: Decimal::ONE,
        }
    }

    fn book(id: u64) -> MarketData {
        MarketData::BookTicker {
            update_id: id,
            bid: Decimal::ONE,
            bid_qty: Decimal::ONE,
            ask: Decimal::TWO,
            ask_qty: Decimal::ONE,
        }
    }

    #[test]
    fn consecutive_trades_pass_and_jumps_are_gaps() {
        let mut t = SequenceTracker::default();
        assert_eq!(t.check(&trade(10)), Verdict::Accept);
        assert_eq!(t.check(&trade(11)), Verdict::Accept);
        assert_eq!(
            t.check(&trade(14)),
            Verdict::Gap {
                expected: 12,
                got: 14
            }
        );
        assert_eq!(t.check(&trade(15)), Verdict::Accept);
    }

    #[test]
    fn old_and_duplicate_events_are_stale_and_not_recorded() {
        let mut t = SequenceTracker::default();
        t.check(&trade(10));
        assert_eq!(t.check(&trade(10)), Verdict::Stale { last: 10, got: 10 });
        assert_eq!(t.check(&trade(3)), Verdict::Stale { last: 10, got: 3 });
        assert_eq!(t.check(&trade(11)), Verdict::Accept);
        t.check(&book(100));
        assert_eq!(t.check(&book(250)), Verdict::Accept);
        assert_eq!(
            t.check(&book(200)),
            Verdict::Stale {
                last: 250,
                got: 200
            }
        );
    }

    #[test]
    fn reset_accepts_anything_next() {
        let mut t = SequenceTracker::default();
        t.check(&trade(10));
        t.reset();
        assert_eq!(t.check(&trade(2)), Verdict::Accept);
        assert_eq!(
            t.check(&trade(u64::MAX)),
            Verdict::Gap {
                expected: 3,
                got: u64::MAX
            }
        );
        assert_eq!(
            t.check(&trade(u64::MAX)),
            Verdict::Stale {
                last: u64::MAX,
                got: u64::MAX
            }
        );
    }
}
