//! The dense slab of leg details. The ordered indexes hold only `(level, seq, slot)`; everything
//! an event needs (owner, credential, quantity, limit offset...) lives here, at a fixed 104
//! bytes a leg, with freed slots reused through a free list. Storage grows in fixed chunks
//! rather than by doubling one vector, so a million legs never carry a million empty slots.

use tradeward_domain::{CredentialId, Side, UserId};

use crate::event::TriggerKind;
use crate::spec::{PriceSource, TriggerId};

/// "No slot" in the ring and free-list links.
pub(crate) const NIL: u32 = u32::MAX;

/// What a leg is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegKind {
    Order(TriggerKind),
    Alert(AlertTag),
}

/// The alert condition a leg came from (for events and snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlertTag {
    Above,
    Below,
    Crossing,
    PercentMove,
}

/// Where a leg is in its life, which says which structure holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// In the free list.
    Free,
    /// In a plain index at `level`.
    Armed,
    /// A one-triggers-other follow-up: in no index until its primary fires.
    Waiting,
    /// A trailing stop in a plain index at its activation level (opposite direction).
    Awaiting,
    /// A trailing stop with its own extreme: in the plain index and the by-extreme index.
    TrailSolo,
    /// A trailing stop sharing its side book's group extreme: in that group only.
    TrailGroup,
    /// A one-triggers-other primary that fired: kept (in no index) so snapshots can still
    /// describe the whole trigger while its follow-ups are armed.
    Spent,
}

/// How a trigger's legs are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    Single,
    Oco,
    /// One-triggers-other with a single follow-up (legs 0, 1).
    Oto,
    /// One-triggers-other with a one-cancels-other follow-up (legs 0, 1, 2).
    OtoOco,
    Alert,
}

/// Direction index: 0 = fires when the price rises to the level, 1 = when it falls to it.
pub(crate) const UP: usize = 0;
pub(crate) const DOWN: usize = 1;

/// One leg.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub id: TriggerId,
    pub owner: UserId,
    /// Nil for alerts.
    pub credential: CredentialId,
    /// Quantity in steps.
    pub qty: i64,
    /// Trigger level in ticks (stale for `TrailGroup`: the group knows the level).
    pub level: i64,
    /// Limit legs: limit = level + aux (ticks). Trailing: the extreme in the side book's
    /// signed space (`s × price`). Percent-move alerts: the reference in ticks.
    pub aux: i64,
    /// Trailing: distance in ticks, or parts per million when `pct`. Percent alerts: ppm.
    pub trail: i64,
    pub seq: u32,
    pub market: u32,
    /// Next leg of the same trigger (a ring), or next free slot.
    pub next: u32,
    pub kind: LegKind,
    pub state: State,
    pub plan: Plan,
    pub side: Side,
    pub source: PriceSource,
    pub leg: u8,
    /// Trailing by percentage (else by amount).
    pub pct: bool,
    /// Trailing with an activation price (held in `level` until activated).
    pub activation: bool,
}

impl Slot {
    /// The direction of the index the leg sits in now.
    pub(crate) fn dir(&self) -> usize {
        let rises = match (self.kind, self.state) {
            (LegKind::Alert(_), _) => self.leg == 0,
            (LegKind::Order(TriggerKind::TrailingStop), State::Awaiting) => self.side == Side::Sell,
            (LegKind::Order(TriggerKind::TrailingStop), _) => self.side == Side::Buy,
            (LegKind::Order(TriggerKind::StopMarket | TriggerKind::StopLimit), _) => {
                self.side == Side::Buy
            }
            (LegKind::Order(_), _) => self.side == Side::Sell,
        };
        if rises {
            UP
        } else {
            DOWN
        }
    }
}

/// Sign that maps a price into a side book's space, where every leg fires when `x >= level_x`.
pub(crate) fn sign(dir: usize) -> i64 {
    if dir == UP {
        1
    } else {
        -1
    }
}

/// Slots per chunk (a power of two: slot `at` is `chunks[at >> SHIFT][at & MASK]`).
const SHIFT: u32 = 12;
const CHUNK: usize = 1 << SHIFT;
const MASK: u32 = (1 << SHIFT) - 1;

/// The slab: legs by slot number, with a free list.
#[derive(Debug, Default)]
pub(crate) struct Slab {
    chunks: Vec<Vec<Slot>>,
    len: u32,
    free: u32,
    live: usize,
}

impl std::ops::Index<u32> for Slab {
    type Output = Slot;
    fn index(&self, at: u32) -> &Slot {
        &self.chunks[(at >> SHIFT) as usize][(at & MASK) as usize]
    }
}

impl std::ops::IndexMut<u32> for Slab {
    fn index_mut(&mut self, at: u32) -> &mut Slot {
        &mut self.chunks[(at >> SHIFT) as usize][(at & MASK) as usize]
    }
}

impl Slab {
    pub(crate) fn new() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
            free: NIL,
            live: 0,
        }
    }

    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Every slot ever allocated (free ones included), with its number.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut Slot)> {
        self.chunks
            .iter_mut()
            .flatten()
            .enumerate()
            .map(|(i, s)| (i as u32, s))
    }

    /// Stores a leg; `None` when 2^32 - 1 legs are live.
    pub(crate) fn alloc(&mut self, slot: Slot) -> Option<u32> {
        if self.free != NIL {
            let at = self.free;
            self.free = self[at].next;
            self[at] = slot;
            self.live += 1;
            return Some(at);
        }
        if self.len == NIL {
            return None;
        }
        let at = self.len;
        if (at & MASK) == 0 {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks.last_mut()?.push(slot);
        self.len += 1;
        self.live += 1;
        Some(at)
    }

    /// Returns a slot to the free list. Its `id` stays readable until the slot is reused.
    pub(crate) fn free(&mut self, at: u32) {
        let head = self.free;
        let s = &mut self[at];
        s.state = State::Free;
        s.next = head;
        self.free = at;
        self.live -= 1;
    }

    /// The legs of the trigger `at` belongs to, starting at `at`, in ring order.
    pub(crate) fn ring(&self, at: u32) -> Vec<u32> {
        let mut legs = vec![at];
        let mut cur = self[at].next;
        while cur != at && cur != NIL && legs.len() < 4 {
            legs.push(cur);
            cur = self[cur].next;
        }
        legs
    }

    /// Takes `at` out of its ring; returns another member, if any is left.
    pub(crate) fn unlink(&mut self, at: u32) -> Option<u32> {
        let next = self[at].next;
        if next == at || next == NIL {
            return None;
        }
        let mut prev = next;
        while self[prev].next != at {
            prev = self[prev].next;
        }
        self[prev].next = next;
        self[at].next = at;
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory budget (200 bytes per armed trigger, index and id table included) counts on
    /// this size; a new field must earn its bytes.
    #[test]
    fn a_leg_is_104_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), 104);
    }
}
