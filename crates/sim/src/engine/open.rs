//! The open orders of one market: a slab of [`Order`]s plus a small id → slot index.
//!
//! Why not a plain `HashMap<u64, Order>`: an `Order` is ~230 bytes, so a map of tens of
//! thousands of them is megabytes of buckets touched at random, and every insert writes into a
//! cold bucket. Here the hashed part is 16-byte entries (mostly cache-resident), and a freed
//! slot is reused by the next insert (last freed, first reused), so a cancel followed by a new
//! resting order touches memory that is still hot. Serializes exactly like the map it
//! replaces (order id → order), so snapshots keep their shape.

use super::market::IdMap;
use super::order::Order;
use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Debug, Default)]
pub(crate) struct OpenOrders {
    /// Order id → index in `slots`.
    index: IdMap<u32>,
    /// Orders; entries listed in `free` are stale.
    slots: Vec<Order>,
    /// Free slot indices, last freed on top.
    free: Vec<u32>,
}

impl OpenOrders {
    pub fn get(&self, id: &u64) -> Option<&Order> {
        let i = *self.index.get(id)?;
        self.slots.get(i as usize)
    }

    pub fn get_mut(&mut self, id: &u64) -> Option<&mut Order> {
        let i = *self.index.get(id)?;
        self.slots.get_mut(i as usize)
    }

    /// Inserts or replaces the order with this id.
    pub fn insert(&mut self, id: u64, o: Order) {
        if let Some(slot) = self.get_mut(&id) {
            *slot = o;
            return;
        }
        let i = match self.free.pop() {
            Some(i) if (i as usize) < self.slots.len() => {
                self.slots[i as usize] = o;
                i
            }
            _ => {
                self.slots.push(o);
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(id, i);
    }

    pub fn remove(&mut self, id: &u64) -> Option<Order> {
        let i = self.index.remove(id)?;
        let o = self.slots.get(i as usize).copied();
        self.free.push(i);
        o
    }

    /// Every open order, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &Order> + '_ {
        self.index
            .values()
            .filter_map(|i| self.slots.get(*i as usize))
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }
}

impl PartialEq for OpenOrders {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .index
                .keys()
                .all(|id| self.get(id).is_some() && self.get(id) == other.get(id))
    }
}

impl Serialize for OpenOrders {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            self.index
                .iter()
                .filter_map(|(id, i)| self.slots.get(*i as usize).map(|o| (id, o))),
        )
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
