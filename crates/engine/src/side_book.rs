//! One side book: the legs of one market and price source that fire in one direction.
//!
//! Prices are mapped to a signed space `x = s × price` (`s = +1` for legs that fire as the price
//! rises, `-1` for legs that fire as it falls), so every leg fires when `x >= level_x` and one
//! ascending `BTreeSet` serves both directions: an update pops from the front while crossed,
//! O(log n + fired).
//!
//! Trailing stops follow the price's best level since activation: in `x` space each tracks the
//! lowest `x` seen (`low`) and fires when `x >= low + distance`. Re-keying every stop on every
//! new extreme would cost O(k log n) for k stops, so stops are kept in two tiers:
//! - *solo*: own `low`, in the plain index at `low + distance` and in `by_low` (so a new
//!   extreme finds exactly the stops it moves);
//! - *group*: every stop whose `low` has caught up with the side's running extreme shares one
//!   `low`. A new extreme moves the whole group in O(1); members are ordered by distance (or
//!   by percentage, which orders distances the same way at any one `low`).
//!
//! A solo stop joins the group when a new extreme takes it to the group's `low`; from then on
//! both track the same minimum of the same price stream, so the shared `low` is exact.

use std::collections::BTreeSet;

use crate::slab::{Slab, Slot, State};

/// `(level_x or sort key, arming seq, slot)`: 16 bytes, unique by `slot`.
pub(crate) type Key = (i64, u32, u32);

/// A leg an update crossed, with what is needed to order the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Crossed {
    pub source: u8,
    pub dir: u8,
    pub level_x: i64,
    pub seq: u32,
    pub slot: u32,
}

/// Trailing stops sharing one extreme.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub low: i64,
    /// `(distance ticks or ppm, seq, slot)`.
    pub members: BTreeSet<Key>,
}

/// The distance of a trailing stop at extreme `low` (in `x` space, sign `s`).
pub(crate) fn trail_distance(low: i64, s: i64, pct: bool, trail: i64) -> i64 {
    if !pct {
        return trail;
    }
    // price is positive (updates are checked), ppm < 1_000_000: fits i128 easily and the
    // result is below the price, so it fits i64.
    let price = i128::from(s * low);
    let d = price * i128::from(trail) / 1_000_000;
    i64::try_from(d).unwrap_or(i64::MAX).max(1)
}

/// The legs of one (market, source, direction).
#[derive(Debug)]
pub(crate) struct SideBook {
    /// `+1` or `-1`: maps prices into this book's `x` space.
    pub s: i64,
    pub plain: BTreeSet<Key>,
    /// Solo trailing stops by `(-low, seq, slot)`: the first has the highest `low`.
    pub by_low: BTreeSet<Key>,
    pub amount: Group,
    pub pct: Group,
}

impl SideBook {
    pub(crate) fn new(s: i64) -> Self {
        Self {
            s,
            plain: BTreeSet::new(),
            by_low: BTreeSet::new(),
            amount: Group::default(),
            pct: Group::default(),
        }
    }

    /// Fire when `x >= fire_at`; re-key trailing stops when `x < rekey_below`.
    pub(crate) fn fronts(&self) -> (i64, i64) {
        let mut fire_at = self.plain.first().map_or(i64::MAX, |k| k.0);
        let mut rekey_below = self.by_low.first().map_or(i64::MIN, |k| -k.0);
        for (g, pct) in [(&self.amount, false), (&self.pct, true)] {
            if let Some(&(t, _, _)) = g.members.first() {
                fire_at = fire_at.min(g.low + trail_distance(g.low, self.s, pct, t));
                rekey_below = rekey_below.max(g.low);
            }
        }
        (fire_at, rekey_below)
    }

    /// Arms a plain leg (or a trailing stop awaiting activation) at its `level`.
    pub(crate) fn insert_plain(&mut self, slot: &Slot, at: u32) {
        self.plain.insert((self.s * slot.level, slot.seq, at));
    }

    /// Starts a trailing stop from extreme `low` (x space) as a solo stop.
    pub(crate) fn insert_trailing(&mut self, slot: &mut Slot, at: u32, low: i64) {
        slot.state = State::TrailSolo;
        slot.aux = low;
        let level_x = low + trail_distance(low, self.s, slot.pct, slot.trail);
        slot.level = self.s * level_x;
        self.plain.insert((level_x, slot.seq, at));
        self.by_low.insert((-low, slot.seq, at));
    }

    /// Takes a leg out of whichever structure holds it (a no-op if an update already popped it).
    pub(crate) fn remove(&mut self, slot: &Slot, at: u32) {
        match slot.state {
            State::Armed | State::Awaiting => {
                self.plain.remove(&(self.s * slot.level, slot.seq, at));
            }
            State::TrailSolo => {
                self.plain.remove(&(self.s * slot.level, slot.seq, at));
                self.by_low.remove(&(-slot.aux, slot.seq, at));
            }
            State::TrailGroup => {
                let g = if slot.pct {
                    &mut self.pct
                } else {
                    &mut self.amount
                };
                g.members.remove(&(slot.trail, slot.seq, at));
            }
            State::Free | State::Waiting | State::Spent => {}
        }
    }

    /// The extreme (x space) and level (price ticks) of a trailing stop now.
    pub(crate) fn trailing_now(&self, slot: &Slot) -> (i64, i64) {
        if slot.state == State::TrailGroup {
            let g = if slot.pct { &self.pct } else { &self.amount };
            let d = trail_distance(g.low, self.s, slot.pct, slot.trail);
            (g.low, self.s * (g.low + d))
        } else {
            (slot.aux, slot.level)
        }
    }

    /// Applies price `x` (this book's space): moves trailing stops to a new extreme, then pops
    /// every crossed leg into `out` (in no particular order; the caller sorts).
    pub(crate) fn evaluate(
        &mut self,
        x: i64,
        slab: &mut Slab,
        source: u8,
        dir: u8,
        out: &mut Vec<Crossed>,
    ) {
        let s = self.s;
        for g in [&mut self.amount, &mut self.pct] {
            if !g.members.is_empty() && x < g.low {
                g.low = x;
            }
        }
        while let Some(&(neg_low, seq, at)) = self.by_low.first() {
            if -neg_low <= x {
                break;
            }
            self.by_low.pop_first();
            let slot = &mut slab[at];
            self.plain.remove(&(s * slot.level, seq, at));
            let g = if slot.pct {
                &mut self.pct
            } else {
                &mut self.amount
            };
            if g.members.is_empty() {
                g.low = x;
            }
            if g.low == x {
                slot.state = State::TrailGroup;
                slot.aux = x;
                g.members.insert((slot.trail, seq, at));
            } else {
                let level_x = x + trail_distance(x, s, slot.pct, slot.trail);
                slot.aux = x;
                slot.level = s * level_x;
                self.plain.insert((level_x, seq, at));
                self.by_low.insert((-x, seq, at));
            }
        }
        while let Some(&(level_x, seq, at)) = self.plain.first() {
            if level_x > x {
                break;
            }
            self.plain.pop_first();
            let slot = &slab[at];
            if slot.state == State::TrailSolo {
                self.by_low.remove(&(-slot.aux, seq, at));
            }
            out.push(Crossed {
                source,
                dir,
                level_x,
                seq,
                slot: at,
            });
        }
        for (g, pct) in [(&mut self.amount, false), (&mut self.pct, true)] {
            while let Some(&(t, seq, at)) = g.members.first() {
                let level_x = g.low + trail_distance(g.low, s, pct, t);
                if level_x > x {
                    break;
                }
                g.members.pop_first();
                let slot = &mut slab[at];
                slot.aux = g.low;
                slot.level = s * level_x;
                out.push(Crossed {
                    source,
                    dir,
                    level_x,
                    seq,
                    slot: at,
                });
            }
        }
    }
}
