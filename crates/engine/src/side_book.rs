//! One side book: the legs of one market and price source that fire in one direction.
//!
//! Prices are mapped to a signed space `x = s × price` (`s = +1` for legs that fire as the price
//! rises, `-1` for legs that fire as it falls), so every leg fires when `x >= level_x` and one
//! ascending `BTreeSet` serves both directions: an update pops from the front while crossed,
//! O(log n + fired).
//!
//! Trailing stops follow the price's best level since activation: in `x` space each tracks the
//! lowest `x` seen (`low`) and fires when `x >= low + distance`. Re-keying every stop on every
//! new extreme would cost O(k log n) for k stops, so stops that share a `low` share a *group*:
//! - *solo*: a stop with its own `low`, in the plain index at `low + distance` and in `by_low`
//!   (so a new extreme finds exactly the stops it moves);
//! - *groups*: stops with one shared `low`, one family of groups for amount trails and one for
//!   percent trails. A group's members are ordered by distance (or by percentage, which orders
//!   distances the same way at any one `low`), so a group has one fire level: its first
//!   member's. A new extreme `x` below some groups' `low` merges them into one group at `x`
//!   (smaller sets into the largest), and the solo stops it moves join that group: after the
//!   first new extreme a stop moves with its group in O(1), and each stop changes group
//!   O(log n) times overall (it only ever moves into a group at least twice its old one's size).
//!
//! Since all stops in a book see the same price stream, stops whose `low` met at one value
//! keep the same `low` from then on, so the shared `low` is exact.

use std::collections::{BTreeMap, BTreeSet};

use crate::slab::{Slab, Slot, State, NIL};

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

/// The groups of one trail type (amount or percent) in one side book.
///
/// The group with the highest `low` (the one the next new extreme moves first) is the *front*:
/// kept out of `by_low` and `fire`, so the common update, "the price made a new extreme and
/// only the front group follows", changes one number and touches no tree.
#[derive(Debug)]
pub(crate) struct Family {
    /// Group slab; a slot's `aux` holds its group's number. Empty groups are reused.
    pub groups: Vec<Group>,
    free: Vec<u32>,
    /// The front group, or [`NIL`]. When set, its `low` is above every key of `by_low`.
    front: u32,
    /// `low` -> group, for the groups other than the front: at most one group per `low`.
    pub by_low: BTreeMap<i64, u32>,
    /// `(fire level x, group)` for the groups other than the front: each group's first
    /// member's level.
    pub fire: BTreeSet<(i64, u32)>,
}

impl Default for Family {
    fn default() -> Self {
        Self {
            groups: Vec::new(),
            free: Vec::new(),
            front: NIL,
            by_low: BTreeMap::new(),
            fire: BTreeSet::new(),
        }
    }
}

impl Family {
    fn fire_x(&self, g: u32, s: i64, pct: bool) -> Option<i64> {
        let group = &self.groups[g as usize];
        group
            .members
            .first()
            .map(|k| group.low + trail_distance(group.low, s, pct, k.0))
    }

    /// The highest `low` of any group.
    pub(crate) fn max_low(&self) -> Option<i64> {
        if self.front != NIL {
            return Some(self.groups[self.front as usize].low);
        }
        self.by_low.last_key_value().map(|(&low, _)| low)
    }

    /// The lowest fire level of any group.
    pub(crate) fn min_fire(&self, s: i64, pct: bool) -> Option<i64> {
        let tree = self.fire.first().map(|&(fx, _)| fx);
        let front = if self.front != NIL {
            self.fire_x(self.front, s, pct)
        } else {
            None
        };
        match (tree, front) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The group at exactly `low`, if any.
    pub(crate) fn group_at(&self, low: i64) -> Option<u32> {
        if self.front != NIL && self.groups[self.front as usize].low == low {
            return Some(self.front);
        }
        self.by_low.get(&low).copied()
    }

    /// A new group at `low`, which must be above every existing group's `low`: it becomes the
    /// front, and the old front goes into the trees.
    fn new_front(&mut self, low: i64, s: i64, pct: bool) -> u32 {
        let old = self.front;
        if old != NIL {
            let old_low = self.groups[old as usize].low;
            self.by_low.insert(old_low, old);
            if let Some(fx) = self.fire_x(old, s, pct) {
                self.fire.insert((fx, old));
            }
        }
        let g = match self.free.pop() {
            Some(g) => g,
            None => {
                self.groups.push(Group::default());
                (self.groups.len() - 1) as u32
            }
        };
        self.groups[g as usize].low = low;
        self.front = g;
        g
    }

    /// Adds members to group `g`, keeping its fire entry right.
    fn add(&mut self, g: u32, keys: impl IntoIterator<Item = Key>, s: i64, pct: bool) {
        if g == self.front {
            self.groups[g as usize].members.extend(keys);
            return;
        }
        if let Some(fx) = self.fire_x(g, s, pct) {
            self.fire.remove(&(fx, g));
        }
        self.groups[g as usize].members.extend(keys);
        if let Some(fx) = self.fire_x(g, s, pct) {
            self.fire.insert((fx, g));
        }
    }

    /// Removes a member (a no-op if absent); frees the group when it empties.
    fn remove(&mut self, g: u32, key: &Key, s: i64, pct: bool) {
        let Some(group) = self.groups.get(g as usize) else {
            return;
        };
        if !group.members.contains(key) {
            return;
        }
        if g != self.front {
            if let Some(fx) = self.fire_x(g, s, pct) {
                self.fire.remove(&(fx, g));
            }
        }
        self.groups[g as usize].members.remove(key);
        self.settle(g, s, pct);
    }

    /// After members left group `g` (whose fire entry, if not the front, was taken out):
    /// re-enter its fire level, or free it if empty.
    fn settle(&mut self, g: u32, s: i64, pct: bool) {
        let empty = self.groups[g as usize].members.is_empty();
        if g == self.front {
            if empty {
                self.front = NIL;
                self.free.push(g);
            }
            return;
        }
        match self.fire_x(g, s, pct) {
            Some(fx) => {
                self.fire.insert((fx, g));
            }
            None => {
                let low = self.groups[g as usize].low;
                self.by_low.remove(&low);
                self.free.push(g);
            }
        }
    }

    /// New extreme `x`: every group with `low >= x` becomes one group at `x`, the new front.
    /// Returns it, if any group moved.
    fn absorb(&mut self, x: i64, s: i64, pct: bool, slab: &mut Slab) -> Option<u32> {
        let mut moved: Vec<u32> = Vec::new();
        if self.front != NIL && self.groups[self.front as usize].low >= x {
            moved.push(self.front);
        }
        let tree_start = moved.len();
        moved.extend(self.by_low.range(x..).map(|(_, &g)| g));
        if moved.is_empty() {
            return None;
        }
        for &g in &moved[tree_start..] {
            if let Some(fx) = self.fire_x(g, s, pct) {
                self.fire.remove(&(fx, g));
            }
            let low = self.groups[g as usize].low;
            self.by_low.remove(&low);
        }
        let target = moved
            .iter()
            .copied()
            .max_by_key(|&g| self.groups[g as usize].members.len())?;
        for &g in &moved {
            if g == target {
                continue;
            }
            let members = std::mem::take(&mut self.groups[g as usize].members);
            for k in &members {
                slab[k.2].aux = i64::from(target);
            }
            self.groups[target as usize].members.extend(members);
            self.free.push(g);
        }
        self.groups[target as usize].low = x;
        // Every group at or above `x` is now `target`, so it has the highest `low`.
        self.front = target;
        Some(target)
    }

    /// Pops every member of every group whose level `x` has reached, into `out`.
    fn pop_crossed(
        &mut self,
        x: i64,
        s: i64,
        pct: bool,
        slab: &mut Slab,
        (source, dir): (u8, u8),
        out: &mut Vec<Crossed>,
    ) {
        let mut pop_group = |f: &mut Family, g: u32| {
            let low = f.groups[g as usize].low;
            while let Some(&(t, seq, at)) = f.groups[g as usize].members.first() {
                let level_x = low + trail_distance(low, s, pct, t);
                if level_x > x {
                    break;
                }
                f.groups[g as usize].members.pop_first();
                // Out of every index now: mark it solo with no entries, so a later
                // `remove` of this leg in the same update is a no-op.
                let slot = &mut slab[at];
                slot.state = State::TrailSolo;
                slot.aux = low;
                slot.level = s * level_x;
                out.push(Crossed {
                    source,
                    dir,
                    level_x,
                    seq,
                    slot: at,
                });
            }
        };
        if self.front != NIL && self.fire_x(self.front, s, pct).is_some_and(|fx| fx <= x) {
            let g = self.front;
            pop_group(self, g);
            self.settle(g, s, pct);
        }
        while let Some(&(fx, g)) = self.fire.first() {
            if fx > x {
                break;
            }
            self.fire.pop_first();
            pop_group(self, g);
            self.settle(g, s, pct);
        }
    }
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
    /// Trailing groups: `[amount, percent]`.
    pub families: [Family; 2],
}

impl SideBook {
    pub(crate) fn new(s: i64) -> Self {
        Self {
            s,
            plain: BTreeSet::new(),
            by_low: BTreeSet::new(),
            families: [Family::default(), Family::default()],
        }
    }

    /// Fire when `x >= fire_at`; re-key trailing stops when `x < rekey_below`.
    pub(crate) fn fronts(&self) -> (i64, i64) {
        let mut fire_at = self.plain.first().map_or(i64::MAX, |k| k.0);
        let mut rekey_below = self.by_low.first().map_or(i64::MIN, |k| -k.0);
        for (fi, f) in self.families.iter().enumerate() {
            if let Some(fx) = f.min_fire(self.s, fi == 1) {
                fire_at = fire_at.min(fx);
            }
            if let Some(low) = f.max_low() {
                rekey_below = rekey_below.max(low);
            }
        }
        (fire_at, rekey_below)
    }

    /// Arms a plain leg (or a trailing stop awaiting activation) at its `level`.
    pub(crate) fn insert_plain(&mut self, slot: &Slot, at: u32) {
        self.plain.insert((self.s * slot.level, slot.seq, at));
    }

    /// Starts a trailing stop from extreme `low` (x space): into the group at that `low` if
    /// there is one, else solo.
    pub(crate) fn insert_trailing(&mut self, slot: &mut Slot, at: u32, low: i64) {
        let level_x = low + trail_distance(low, self.s, slot.pct, slot.trail);
        slot.level = self.s * level_x;
        let f = &mut self.families[usize::from(slot.pct)];
        if let Some(g) = f.group_at(low) {
            slot.state = State::TrailGroup;
            slot.aux = i64::from(g);
            f.add(g, [(slot.trail, slot.seq, at)], self.s, slot.pct);
            return;
        }
        slot.state = State::TrailSolo;
        slot.aux = low;
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
                let g = u32::try_from(slot.aux).unwrap_or(u32::MAX);
                self.families[usize::from(slot.pct)].remove(
                    g,
                    &(slot.trail, slot.seq, at),
                    self.s,
                    slot.pct,
                );
            }
            State::Free | State::Waiting | State::Spent => {}
        }
    }

    /// The extreme (x space) and level (price ticks) of a trailing stop now.
    pub(crate) fn trailing_now(&self, slot: &Slot) -> (i64, i64) {
        if slot.state == State::TrailGroup {
            let f = &self.families[usize::from(slot.pct)];
            let low = f.groups.get(slot.aux as usize).map_or(0, |g| g.low);
            let d = trail_distance(low, self.s, slot.pct, slot.trail);
            (low, self.s * (low + d))
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
        // New extreme: groups above `x` merge at `x`; solo stops above `x` join that group (or
        // a new one at `x`; a lone moved stop with no group to join stays solo).
        let mut targets: [Option<u32>; 2] = [None, None];
        for (fi, f) in self.families.iter_mut().enumerate() {
            if f.max_low().is_some_and(|low| low > x) {
                targets[fi] = f.absorb(x, s, fi == 1, slab);
            }
        }
        if self.by_low.first().is_some_and(|k| -k.0 > x) {
            let mut moved: [Vec<Key>; 2] = [Vec::new(), Vec::new()];
            while let Some(&(neg_low, seq, at)) = self.by_low.first() {
                if -neg_low <= x {
                    break;
                }
                self.by_low.pop_first();
                let slot = &slab[at];
                self.plain.remove(&(s * slot.level, seq, at));
                moved[usize::from(slot.pct)].push((slot.trail, seq, at));
            }
            for (fi, keys) in moved.into_iter().enumerate() {
                let pct = fi == 1;
                let f = &mut self.families[fi];
                let target = targets[fi].or_else(|| f.group_at(x));
                match (target, keys.len()) {
                    (_, 0) => {}
                    (None, 1) => {
                        let (trail, seq, at) = keys[0];
                        let level_x = x + trail_distance(x, s, pct, trail);
                        let slot = &mut slab[at];
                        slot.aux = x;
                        slot.level = s * level_x;
                        self.plain.insert((level_x, seq, at));
                        self.by_low.insert((-x, seq, at));
                    }
                    (target, _) => {
                        // No group at `x`, and none above it (else it would have moved to
                        // `x`): a new group here has the highest `low`.
                        let g = target.unwrap_or_else(|| f.new_front(x, s, pct));
                        for k in &keys {
                            let slot = &mut slab[k.2];
                            slot.state = State::TrailGroup;
                            slot.aux = i64::from(g);
                        }
                        f.add(g, keys, s, pct);
                    }
                }
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
        for (fi, f) in self.families.iter_mut().enumerate() {
            f.pop_crossed(x, s, fi == 1, slab, (source, dir), out);
        }
    }
}
