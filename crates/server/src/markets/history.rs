//! A market's recent price path for charts: at most one point per `resolution_ms` (the last
//! price seen in that slot wins), the newest `capacity` slots kept. Pure; time comes in.

use std::collections::VecDeque;

use rust_decimal::Decimal;

/// One point of a price path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricePoint {
    /// Start of the slot, ms since the epoch.
    pub time_ms: u64,
    /// The last price in the slot.
    pub price: Decimal,
}

/// A bounded, down-sampled price path.
#[derive(Debug, Clone)]
pub struct PriceHistory {
    points: VecDeque<PricePoint>,
    capacity: usize,
    resolution_ms: u64,
}

impl PriceHistory {
    /// Keeps `capacity` slots of `resolution_ms` each (both at least 1).
    pub fn new(capacity: usize, resolution_ms: u64) -> Self {
        Self {
            points: VecDeque::with_capacity(capacity.max(1)),
            capacity: capacity.max(1),
            resolution_ms: resolution_ms.max(1),
        }
    }

    /// Records a price seen at `time_ms`. A time older than the newest slot is folded into
    /// that slot (feeds may deliver slightly out of order; a chart must never go backwards).
    pub fn record(&mut self, time_ms: u64, price: Decimal) {
        let slot = time_ms - time_ms % self.resolution_ms;
        match self.points.back_mut() {
            Some(last) if slot <= last.time_ms => last.price = price,
            _ => {
                if self.points.len() == self.capacity {
                    self.points.pop_front();
                }
                self.points.push_back(PricePoint {
                    time_ms: slot,
                    price,
                });
            }
        }
    }

    /// The points, oldest first.
    pub fn points(&self) -> Vec<PricePoint> {
        self.points.iter().copied().collect()
    }

    /// The newest point.
    pub fn last(&self) -> Option<PricePoint> {
        self.points.back().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    #[test]
    fn one_point_per_slot_last_price_wins_and_capacity_holds() {
        let mut h = PriceHistory::new(3, 1000);
        h.record(10_100, d(1));
        h.record(10_900, d(2));
        h.record(11_000, d(3));
        h.record(12_500, d(4));
        h.record(13_000, d(5));
        let p = h.points();
        assert_eq!(
            p.iter().map(|x| (x.time_ms, x.price)).collect::<Vec<_>>(),
            vec![(11_000, d(3)), (12_000, d(4)), (13_000, d(5))]
        );
        // Late delivery folds into the newest slot instead of appending an older one.
        h.record(12_100, d(6));
        assert_eq!(
            h.last(),
            Some(PricePoint {
                time_ms: 13_000,
                price: d(6)
            })
        );
        assert_eq!(h.points().len(), 3);
    }
}
