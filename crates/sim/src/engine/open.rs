//! The open orders of one market: a slab of [`Order`]s plus an id → slot index.
//!
//! Why not a plain `HashMap<u64, Order>`: an `Order` is ~230 bytes, so a map of tens of
//! thousands of them is megabytes of buckets touched at random, and every insert writes into a
//! cold bucket. Order ids of a market are handed out in increasing order, so the index is a
//! window of slot numbers indexed by `id - base` (4 bytes per id, appended at the back as
//! orders arrive, so inserts touch hot memory and lookups are one load). Ids that fall out of
//! a window grown sparse (a few old orders resting for ever) move to a small hash map, which
//! keeps memory proportional to the open orders. A freed slot is reused by the next insert
//! (last freed, first reused), so a cancel followed by a new resting order touches memory that
//! is still hot. Serializes exactly like the map it replaces (order id → order), so snapshots
//! keep their shape.

use super::market::IdMap;
use super::order::Order;
use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// Window entry of an id that is not open.
const VACANT: u32 = u32::MAX;
/// An id further than this past the window's end goes to the map instead of stretching the
/// window (ids are sequential in practice; this only bounds odd inputs such as a snapshot).
const MAX_GAP: u64 = 1 << 16;

#[derive(Clone, Debug, Default)]
pub(crate) struct OpenOrders {
    /// Slot of order `base + i`, or `VACANT`.
    window: VecDeque<u32>,
    /// Order id of `window[0]`.
    base: u64,
    /// Non-vacant entries of `window`.
    in_window: usize,
    /// Open orders outside the window: id → slot.
    outside: IdMap<u32>,
    /// Orders; entries listed in `free` are stale.
    slots: Vec<Order>,
    /// Free slot indices, last freed on top.
    free: Vec<u32>,
}

impl OpenOrders {
    fn slot_of(&self, id: u64) -> Option<u32> {
        if id >= self.base {
            let i = usize::try_from(id - self.base).ok()?;
            if let Some(&s) = self.window.get(i) {
                return (s != VACANT).then_some(s);
            }
        }
        self.outside.get(&id).copied()
    }

    pub fn get(&self, id: &u64) -> Option<&Order> {
        let s = self.slot_of(*id)?;
        self.slots.get(s as usize)
    }

    pub fn get_mut(&mut self, id: &u64) -> Option<&mut Order> {
        let s = self.slot_of(*id)?;
        self.slots.get_mut(s as usize)
    }

    /// Inserts or replaces the order with this id.
    pub fn insert(&mut self, id: u64, o: Order) {
        if let Some(slot) = self.get_mut(&id) {
            *slot = o;
            return;
        }
        let s = match self.free.pop() {
            Some(s) if (s as usize) < self.slots.len() => {
                self.slots[s as usize] = o;
                s
            }
            _ => {
                self.slots.push(o);
                (self.slots.len() - 1) as u32
            }
        };
        if self.window.is_empty() && self.outside.is_empty() {
            self.base = id;
        }
        let end = self.base + self.window.len() as u64;
        if id >= self.base && id < end {
            if let Some(e) = self.window.get_mut((id - self.base) as usize) {
                *e = s;
                self.in_window += 1;
                return;
            }
        }
        if id >= end && id - end <= MAX_GAP {
            for _ in end..id {
                self.window.push_back(VACANT);
            }
            self.window.push_back(s);
            self.in_window += 1;
            return;
        }
        self.outside.insert(id, s);
    }

    pub fn remove(&mut self, id: &u64) -> Option<Order> {
        let id = *id;
        let mut found = None;
        if id >= self.base {
            if let Some(e) = self.window.get_mut((id - self.base) as usize) {
                if *e != VACANT {
                    found = Some(*e);
                    *e = VACANT;
                    self.in_window -= 1;
                    self.compact();
                }
            }
        }
        let s = match found {
            Some(s) => s,
            None => self.outside.remove(&id)?,
        };
        self.free.push(s);
        self.slots.get(s as usize).copied()
    }

    /// Drops vacant ids at the front; when the window is mostly vacant, moves its older half's
    /// open orders to `outside` (each id moves at most once, so this is amortized O(1)).
    fn compact(&mut self) {
        while self.window.front() == Some(&VACANT) {
            self.window.pop_front();
            self.base += 1;
        }
        if self.window.len() > 1024 && self.window.len() > 4 * self.in_window {
            for _ in 0..self.window.len() / 2 {
                if let Some(s) = self.window.pop_front() {
                    if s != VACANT {
                        self.outside.insert(self.base, s);
                        self.in_window -= 1;
                    }
                    self.base += 1;
                }
            }
            while self.window.front() == Some(&VACANT) {
                self.window.pop_front();
                self.base += 1;
            }
        }
    }

    /// Every open order, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &Order> + '_ {
        self.window
            .iter()
            .filter(|s| **s != VACANT)
            .chain(self.outside.values())
            .filter_map(|s| self.slots.get(*s as usize))
    }

    /// (id, order) of every open order, in no particular order.
    fn entries(&self) -> impl Iterator<Item = (u64, &Order)> + '_ {
        let base = self.base;
        self.window
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != VACANT)
            .map(move |(i, s)| (base + i as u64, *s))
            .chain(self.outside.iter().map(|(id, s)| (*id, *s)))
            .filter_map(|(id, s)| self.slots.get(s as usize).map(|o| (id, o)))
    }

    pub fn len(&self) -> usize {
        self.in_window + self.outside.len()
    }
}

impl PartialEq for OpenOrders {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.entries().all(|(id, o)| other.get(&id) == Some(o))
    }
}

impl Serialize for OpenOrders {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.entries())
    }
}

impl<'de> Deserialize<'de> for OpenOrders {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = HashMap::<u64, Order>::deserialize(d)?;
        let mut out = OpenOrders::default();
        // Ascending ids so slot order follows age (deterministic after a reload).
        let mut entries: Vec<(u64, Order)> = map.into_iter().collect();
        entries.sort_unstable_by_key(|(id, _)| *id);
        for (id, o) in entries {
            out.insert(id, o);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::text::ShortStr;
    use crate::engine::types::{AccountId, OrderStatus, OrderType, Side, TimeInForce};
    use rust_decimal::Decimal;

    fn order(id: u64) -> Order {
        Order {
            symbol: ShortStr::new("BTCUSDT").unwrap_or_default(),
            order_id: id,
            account: AccountId(2),
            client_order_id: ShortStr::empty(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            time_in_force: TimeInForce::Gtc,
            price: Decimal::ONE,
            orig_qty: Decimal::ONE,
            executed_qty: Decimal::ZERO,
            cummulative_quote_qty: Decimal::ZERO,
            orig_quote_order_qty: Decimal::ZERO,
            stop_price: Decimal::ZERO,
            status: OrderStatus::New,
            time: id,
            update_time: id,
            is_working: true,
            working_time: id,
            locked: Decimal::ONE,
        }
    }

    #[test]
    fn behaves_like_a_map_and_reuses_slots() {
        let mut m = OpenOrders::default();
        for id in 1..=3 {
            m.insert(id, order(id));
        }
        assert_eq!(m.len(), 3);
        assert_eq!(m.remove(&2).map(|o| o.order_id), Some(2));
        assert_eq!(m.remove(&2), None);
        assert!(m.get(&2).is_none());
        m.insert(4, order(4));
        // The freed slot was reused: no growth.
        assert_eq!(m.slots.len(), 3);
        assert_eq!(m.get(&4).map(|o| o.time), Some(4));
        if let Some(o) = m.get_mut(&1) {
            o.time = 99;
        }
        assert_eq!(m.get(&1).map(|o| o.time), Some(99));
        m.insert(1, order(1));
        assert_eq!(m.get(&1).map(|o| o.time), Some(1));
        let mut ids: Vec<u64> = m.values().map(|o| o.order_id).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![1, 3, 4]);
    }

    #[test]
    fn sparse_window_moves_old_orders_out_and_keeps_them() {
        let mut m = OpenOrders::default();
        for id in 1..=5000 {
            m.insert(id, order(id));
        }
        // Keep every 1000th order (old ones resting for ever), remove the rest.
        for id in 1..=5000 {
            if id % 1000 != 0 {
                assert_eq!(m.remove(&id).map(|o| o.order_id), Some(id));
            }
        }
        assert_eq!(m.len(), 5);
        assert!(!m.outside.is_empty(), "old orders left the window");
        assert!(
            m.window.len() <= 1024 + 1,
            "window stays small: {}",
            m.window.len()
        );
        for id in 1..=5000 {
            assert_eq!(m.get(&id).is_some(), id % 1000 == 0, "id {id}");
        }
        // A re-inserted old id (a stop that fired and rests) and new ids keep working.
        assert_eq!(m.remove(&1000).map(|o| o.order_id), Some(1000));
        m.insert(1000, order(1000));
        m.insert(6000, order(6000));
        let mut ids: Vec<u64> = m.values().map(|o| o.order_id).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![1000, 2000, 3000, 4000, 5000, 6000]);
        let back: OpenOrders = serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        // Slots were reused throughout: never more than were open at once.
        assert!(m.slots.len() <= 5000);
    }

    #[test]
    fn serializes_as_an_id_map_and_round_trips() {
        let mut m = OpenOrders::default();
        m.insert(7, order(7));
        m.insert(9, order(9));
        m.remove(&7);
        let json = serde_json::to_value(&m).unwrap();
        let obj = json.as_object().unwrap();
        assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["9"]);
        let back: OpenOrders = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.len(), 1);
    }
}
