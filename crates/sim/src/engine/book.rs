//! One side-pair order book: price levels in a `BTreeMap`, FIFO queues of order ids per level.
//!
//! Cancels are O(log n): the level's total and live count drop at once and the id stays in
//! the queue as a tombstone that matching skips (ids are never reused, so "not open any more"
//! is a reliable test). A level whose live count reaches zero is removed with its tombstones.

use super::types::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Level {
    /// Sum of remaining quantities of live orders at this price.
    pub qty: Decimal,
    /// Number of live orders at this price.
    pub live: u32,
    /// Order ids in time priority (may contain tombstones).
    pub queue: VecDeque<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Book {
    pub bids: BTreeMap<Decimal, Level>,
    pub asks: BTreeMap<Decimal, Level>,
}

impl Book {
    pub fn side(&self, side: Side) -> &BTreeMap<Decimal, Level> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    pub fn side_mut(&mut self, side: Side) -> &mut BTreeMap<Decimal, Level> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Best price and its level quantity on `side` (highest bid, lowest ask).
    pub fn best(&self, side: Side) -> Option<(Decimal, Decimal)> {
        match side {
            Side::Buy => self.bids.iter().next_back().map(|(p, l)| (*p, l.qty)),
            Side::Sell => self.asks.iter().next().map(|(p, l)| (*p, l.qty)),
        }
    }

    /// Appends a resting order at the back of its level.
    pub fn insert(&mut self, side: Side, price: Decimal, id: u64, qty: Decimal) {
        let level = self.side_mut(side).entry(price).or_default();
        level.qty += qty;
        level.live += 1;
        level.queue.push_back(id);
    }

    /// Removes `qty` of a live order that leaves the book (cancel); drops the level when empty.
    pub fn remove(&mut self, side: Side, price: Decimal, qty: Decimal) {
        let map = self.side_mut(side);
        if let Some(level) = map.get_mut(&price) {
            level.qty -= qty;
            level.live = level.live.saturating_sub(1);
            if level.live == 0 {
                map.remove(&price);
            }
        }
    }

    /// Iterates levels of `side` from the best outwards.
    pub fn levels(&self, side: Side) -> Box<dyn Iterator<Item = (&Decimal, &Level)> + '_> {
        match side {
            Side::Buy => Box::new(self.bids.iter().rev()),
            Side::Sell => Box::new(self.asks.iter()),
        }
    }

    /// True when the best bid is at or above the best ask (must never be observable).
    pub fn is_crossed(&self) -> bool {
        match (self.best(Side::Buy), self.best(Side::Sell)) {
            (Some((b, _)), Some((a, _))) => b >= a,
            _ => false,
        }
    }
}
