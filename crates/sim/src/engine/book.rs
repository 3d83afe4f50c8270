//! One side-pair order book: price levels in a `BTreeMap`, FIFO queues of order ids per level.
//!
//! Cancels are O(log n): the level's total and live count drop at once and the id stays in
//! the queue as a tombstone that matching skips (ids are never reused, so "not open any more"
//! is a reliable test). A level whose live count reaches zero is removed with its tombstones.
//!
//! Levels are keyed by [`Px`], a price whose ordering compares the integer mantissas directly
//! when both prices share a scale (every book price is at its market's canonical scale), so
//! the tree walks never take `Decimal`'s general comparison (which showed up at ~13% of a
//! profile of the matching bench).

use super::market::IdHasher;
use super::types::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::BuildHasherDefault;

/// A price as a book key: the same value and the same total order as the `Decimal` inside,
/// with a fast path for equal scales. Serializes exactly like the `Decimal`.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Px(pub Decimal);

impl Ord for Px {
    // Always inlined: B-tree searches call it per node entry, and an out-of-line call there
    // costs as much as the comparison.
    #[inline(always)]
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        if a.scale() == b.scale() {
            // Same scale: the values compare like their signed mantissas (−0 equals 0).
            a.mantissa().cmp(&b.mantissa())
        } else {
            // Different scales (a balance against an order amount, a notional against the
            // filter minimum): the coarser mantissa brought to the finer scale, in i128,
            // when that cannot overflow; Decimal's general comparison otherwise.
            cross_scale_cmp(a, b).unwrap_or_else(|| a.cmp(b))
        }
    }
}

/// Powers of ten up to 10^28 (Decimal's largest scale), all within i128.
pub(crate) const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `a` against `b` at the finer of their two scales, exactly; `None` when the rescaled
/// mantissa would not fit an i128. Out of line so that [`Px::cmp`]'s same-scale path stays
/// small enough to inline everywhere.
#[inline(never)]
pub(crate) fn cross_scale_cmp(a: &Decimal, b: &Decimal) -> Option<Ordering> {
    let (sa, sb) = (a.scale(), b.scale());
    if sa < sb {
        let up = a.mantissa().checked_mul(*POW10.get((sb - sa) as usize)?)?;
        Some(up.cmp(&b.mantissa()))
    } else {
        let up = b.mantissa().checked_mul(*POW10.get((sa - sb) as usize)?)?;
        Some(a.mantissa().cmp(&up))
    }
}

impl PartialOrd for Px {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Px {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Px {}

impl std::hash::Hash for Px {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal values (1.0 and 1.00, −0 and 0) normalize to the same mantissa and scale.
        let n = self.0.normalize();
        state.write_u64(n.mantissa() as u64 ^ ((n.mantissa() >> 64) as u64).rotate_left(17));
        state.write_u64(u64::from(n.scale()));
    }
}

/// `a` compared with `b`, exactly as `Decimal` orders them, without its general path when
/// both share a scale (the common case: a market's prices and quantities share scales).
#[inline(always)]
pub(crate) fn dcmp(a: Decimal, b: Decimal) -> Ordering {
    Px(a).cmp(&Px(b))
}

/// True when `x > 0`, without a general comparison.
#[inline]
pub(crate) fn positive(x: Decimal) -> bool {
    !x.is_zero() && x.is_sign_positive()
}

/// The levels an operation changed on one side, each once, in first-change order, with
/// their latest quantity (0 = removed): every change marks the level with its new total, so
/// `finish` needs no book lookups. A short list is scanned; past [`ChangedLevels::SCAN`]
/// entries (a house re-quote touches 20+ levels per side) a map finds the entry in O(1).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ChangedLevels {
    list: Vec<(Decimal, Decimal)>,
    seen: HashMap<Px, usize, BuildHasherDefault<IdHasher>>,
}

impl ChangedLevels {
    const SCAN: usize = 12;

    /// Records that the level at `price` now holds `qty`.
    pub fn mark(&mut self, price: Decimal, qty: Decimal) {
        if self.list.len() < Self::SCAN {
            match self.list.iter_mut().find(|(p, _)| Px(*p) == Px(price)) {
                Some(e) => e.1 = qty,
                None => self.list.push((price, qty)),
            }
            return;
        }
        if self.seen.is_empty() {
            for (i, (p, _)) in self.list.iter().enumerate() {
                self.seen.insert(Px(*p), i);
            }
        }
        let next = self.list.len();
        let i = *self.seen.entry(Px(price)).or_insert(next);
        match self.list.get_mut(i) {
            Some(e) => e.1 = qty,
            None => self.list.push((price, qty)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// (price, latest quantity) of each changed level.
    pub fn levels(&self) -> &[(Decimal, Decimal)] {
        &self.list
    }

    pub fn clear(&mut self) {
        self.list.clear();
        self.seen.clear();
    }
}

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
    pub bids: BTreeMap<Px, Level>,
    pub asks: BTreeMap<Px, Level>,
}

impl Book {
    pub fn side(&self, side: Side) -> &BTreeMap<Px, Level> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    pub fn side_mut(&mut self, side: Side) -> &mut BTreeMap<Px, Level> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Best price and its level quantity on `side` (highest bid, lowest ask).
    pub fn best(&self, side: Side) -> Option<(Decimal, Decimal)> {
        match side {
            Side::Buy => self.bids.iter().next_back().map(|(p, l)| (p.0, l.qty)),
            Side::Sell => self.asks.iter().next().map(|(p, l)| (p.0, l.qty)),
        }
    }

    /// Appends a resting order at the back of its level.
    /// Returns the level's new total.
    pub fn insert(&mut self, side: Side, price: Decimal, id: u64, qty: Decimal) -> Decimal {
        let level = self.side_mut(side).entry(Px(price)).or_default();
        level.qty = super::dmath::add(level.qty, qty);
        level.live += 1;
        level.queue.push_back(id);
        level.qty
    }

    /// Removes `qty` of a live order that leaves the book (cancel); drops the level when empty.
    /// Returns the level's new total (zero when the level is gone).
    pub fn remove(&mut self, side: Side, price: Decimal, qty: Decimal) -> Decimal {
        let map = self.side_mut(side);
        if let Some(level) = map.get_mut(&Px(price)) {
            level.qty = super::dmath::sub(level.qty, qty);
            level.live = level.live.saturating_sub(1);
            if level.live == 0 {
                map.remove(&Px(price));
            } else {
                return level.qty;
            }
        }
        Decimal::ZERO
    }

    /// Iterates levels of `side` from the best outwards.
    pub fn levels(&self, side: Side) -> Box<dyn Iterator<Item = (&Decimal, &Level)> + '_> {
        match side {
            Side::Buy => Box::new(self.bids.iter().rev().map(|(p, l)| (&p.0, l))),
            Side::Sell => Box::new(self.asks.iter().map(|(p, l)| (&p.0, l))),
        }
    }

    /// The level at `price` on `side`, if any.
    pub fn level(&self, side: Side, price: Decimal) -> Option<&Level> {
        self.side(side).get(&Px(price))
    }

    /// True when the best bid is at or above the best ask (must never be observable).
    pub fn is_crossed(&self) -> bool {
        match (self.best(Side::Buy), self.best(Side::Sell)) {
            (Some((b, _)), Some((a, _))) => b >= a,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            // Engine-like amounts at a few scales.
            (-10_000_000_000i64..10_000_000_000, 0u32..12).prop_map(|(m, s)| Decimal::new(m, s)),
            // Anything Decimal holds, so the i128 rescale overflows and falls back.
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<bool>(),
                0u32..=28
            )
                .prop_map(|(lo, mid, hi, neg, s)| Decimal::from_parts(lo, mid, hi, neg, s)),
        ]
    }

    proptest! {
        #[test]
        fn px_orders_and_equals_like_decimal(a in decimal(), b in decimal()) {
            prop_assert_eq!(dcmp(a, b), a.cmp(&b), "{} vs {}", a, b);
            prop_assert_eq!(Px(a) == Px(b), a == b, "{} == {}", a, b);
            // The same value at a finer scale compares equal.
            let mut c = a;
            c.rescale((a.scale() + 3).min(28));
            if c == a {
                prop_assert_eq!(dcmp(a, c), std::cmp::Ordering::Equal);
                prop_assert!(Px(a) == Px(c));
            }
        }
    }

    #[test]
    fn known_answers_across_scales() {
        use rust_decimal_macros::dec;
        assert_eq!(dcmp(dec!(5), dec!(10.0000002)), Ordering::Less);
        assert_eq!(dcmp(dec!(10.0000002), dec!(5)), Ordering::Greater);
        assert_eq!(dcmp(dec!(5.00), dec!(5)), Ordering::Equal);
        assert_eq!(dcmp(dec!(-0.0), dec!(0)), Ordering::Equal);
        assert_eq!(dcmp(dec!(-1.5), dec!(-1.49)), Ordering::Less);
        assert_eq!(dcmp(Decimal::MAX, Decimal::new(1, 28)), Ordering::Greater);
        assert!(Px(dec!(1.0)) == Px(dec!(1.00)));
        assert!(Px(dec!(1.0)) != Px(dec!(1.01)));
    }
}
