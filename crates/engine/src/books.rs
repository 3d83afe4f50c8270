//! The trigger books: markets, arming, cancelling, the trading switch. Price processing is in
//! `update.rs`, snapshots in `snapshot.rs`.

use hashbrown::HashMap;

use rust_decimal::Decimal;

use crate::balance::BalanceAlerts;
use crate::compile::{compile, Compiled, Ctx, NO_PRICE};
use crate::error::{ArmError, NotArmed, RulesError};
use crate::ids::IdIndex;
use crate::market::{Grid, MarketId, MarketKey, MarketRules};
use crate::side_book::{Crossed, SideBook};
use crate::slab::{sign, Slab, State, NIL};
use crate::spec::{BalanceAlertSpec, PriceSource, TriggerId, TriggerSpec};

/// A registered market.
#[derive(Debug)]
pub(crate) struct Market {
    pub key: MarketKey,
    pub rules: MarketRules,
    pub tick: Grid,
    pub step: Grid,
}

/// What the price path reads on every update, kept apart from the indexes so 1,000 markets fit
/// in cache: the last price and, per direction, the thresholds past which anything happens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hot {
    pub price: i64,
    /// Per direction: something fires when `x >= fire_at` (`x = ±price`).
    pub fire_at: [i64; 2],
    /// Per direction: trailing stops move when `x < rekey_below`.
    pub rekey_below: [i64; 2],
}

impl Hot {
    const EMPTY: Hot = Hot {
        price: NO_PRICE,
        fire_at: [i64::MAX; 2],
        rekey_below: [i64::MIN; 2],
    };
}

/// Per market: per source, the rising and falling side books.
pub(crate) type MarketBooks = [[SideBook; 2]; 3];

/// Every armed trigger and alert, per market and price source, ordered by level.
///
/// Pure: no I/O, no clock, no randomness. Feed it prices with [`TriggerBooks::on_price`] and
/// act on the [`crate::Event`]s it returns.
#[derive(Debug)]
pub struct TriggerBooks {
    pub(crate) markets: Vec<Market>,
    by_key: HashMap<MarketKey, MarketId>,
    pub(crate) hot: Vec<[Hot; 3]>,
    pub(crate) sides: Vec<MarketBooks>,
    pub(crate) slab: Slab,
    /// Trigger id -> one live slot of its ring.
    pub(crate) ids: IdIndex,
    /// Client ids, for the (few) triggers that have one: kept out of the slab.
    pub(crate) client_ids: HashMap<TriggerId, Box<str>>,
    pub(crate) next_seq: u32,
    pub(crate) trading: bool,
    pub(crate) balance: BalanceAlerts,
    pub(crate) scratch: Vec<Crossed>,
}

impl Default for TriggerBooks {
    fn default() -> Self {
        Self::new()
    }
}

impl TriggerBooks {
    /// Empty books, trading enabled.
    pub fn new() -> Self {
        Self {
            markets: Vec::new(),
            by_key: HashMap::new(),
            hot: Vec::new(),
            sides: Vec::new(),
            slab: Slab::new(),
            ids: IdIndex::default(),
            client_ids: HashMap::new(),
            next_seq: 0,
            trading: true,
            balance: BalanceAlerts::default(),
            scratch: Vec::new(),
        }
    }

    /// Registers a market with its venue rules. Rules are fixed for the market's life in the
    /// books (levels and quantities are stored in its ticks and steps).
    pub fn add_market(
        &mut self,
        key: MarketKey,
        rules: MarketRules,
    ) -> Result<MarketId, RulesError> {
        rules.check()?;
        if self.by_key.contains_key(&key) {
            return Err(RulesError::Duplicate(key.to_string()));
        }
        let id = MarketId(self.markets.len() as u32);
        self.by_key.insert(key.clone(), id);
        self.markets.push(Market {
            key,
            tick: Grid::new(rules.tick_size),
            step: Grid::new(rules.step_size),
            rules,
        });
        self.hot.push([Hot::EMPTY; 3]);
        self.sides.push(std::array::from_fn(|_| {
            [SideBook::new(sign(0)), SideBook::new(sign(1))]
        }));
        Ok(id)
    }

    /// The handle of a registered market.
    pub fn market_id(&self, key: &MarketKey) -> Option<MarketId> {
        self.by_key.get(key).copied()
    }

    /// The key of a market handle.
    pub fn market_key(&self, id: MarketId) -> Option<&MarketKey> {
        self.markets.get(id.index()).map(|m| &m.key)
    }

    /// The latest price seen for a market and source.
    pub fn price(&self, id: MarketId, source: PriceSource) -> Option<Decimal> {
        let p = self.hot.get(id.index())?[source.index()].price;
        (p != NO_PRICE).then(|| self.markets[id.index()].tick.to_decimal(p))
    }

    /// Turns trading on or off. While off, order legs stay armed but a met condition makes them
    /// [`crate::Missed`] instead of firing; alerts keep working.
    pub fn set_trading(&mut self, enabled: bool) {
        self.trading = enabled;
    }

    /// Whether trading is on.
    pub fn trading_enabled(&self) -> bool {
        self.trading
    }

    /// Number of legs held: armed, waiting follow-ups, and a fired bracket primary kept (in no
    /// index) while its follow-ups live. OCO and bracket triggers have several legs; a
    /// percent-move alert two.
    pub fn armed_legs(&self) -> usize {
        self.slab.live()
    }

    /// Whether a trigger or alert with this id is armed.
    pub fn contains(&self, id: TriggerId) -> bool {
        self.ids.get(id, &self.slab).is_some() || self.balance.contains(id)
    }

    pub(crate) fn ctx(&self, market: MarketId) -> Ctx<'_> {
        let m = &self.markets[market.index()];
        let h = &self.hot[market.index()];
        Ctx {
            key: &m.key,
            market: market.0,
            rules: &m.rules,
            tick: m.tick,
            step: m.step,
            prices: [h[0].price, h[1].price, h[2].price],
        }
    }

    /// Validates and arms a trigger or price alert. On error nothing is armed.
    pub fn arm(&mut self, spec: TriggerSpec) -> Result<(), ArmError> {
        let market = self
            .market_id(&spec.market)
            .ok_or_else(|| ArmError::UnknownMarket(spec.market.to_string()))?;
        if self.contains(spec.id) {
            return Err(ArmError::DuplicateId(spec.id));
        }
        let legs = compile(&spec, &self.ctx(market), None)?;
        self.insert_compiled(vec![(legs, spec.client_id)])
    }

    /// Allocates, links, sequences (by saved sequence, then order given) and indexes compiled
    /// triggers. Checks capacity first so it cannot fail half-way.
    pub(crate) fn insert_compiled(
        &mut self,
        triggers: Vec<(Vec<Compiled>, Option<String>)>,
    ) -> Result<(), ArmError> {
        let n: usize = triggers.iter().map(|t| t.0.len()).sum();
        if self.slab.live() + n >= NIL as usize - 1 {
            return Err(ArmError::Full(self.slab.live()));
        }
        if u32::MAX - self.next_seq < n as u32 + 1 {
            self.resequence();
        }
        let mut order = Vec::with_capacity(n);
        for (legs, client_id) in triggers {
            let mut ring = Vec::with_capacity(legs.len());
            for c in legs {
                // Capacity was checked above.
                let Some(at) = self.slab.alloc(c.slot) else {
                    return Err(ArmError::Full(self.slab.live()));
                };
                ring.push(at);
                order.push((c.saved_seq, at));
            }
            for (i, &at) in ring.iter().enumerate() {
                self.slab[at].next = ring[(i + 1) % ring.len()];
            }
            if let Some(&first) = ring.first() {
                let id = self.slab[first].id;
                self.ids.insert(id, first, &self.slab);
                if let Some(c) = client_id {
                    self.client_ids.insert(id, c.into_boxed_str());
                }
            }
        }
        order.sort_by_key(|&(saved, _)| saved);
        for (_, at) in order {
            self.slab[at].seq = self.next_seq;
            self.next_seq += 1;
            self.place(at);
        }
        Ok(())
    }

    /// Puts a leg into the structure its state calls for and refreshes that book's thresholds.
    pub(crate) fn place(&mut self, at: u32) {
        let slot = &mut self.slab[at];
        let (m, src, dir) = (slot.market as usize, slot.source.index(), slot.dir());
        let book = &mut self.sides[m][src][dir];
        match slot.state {
            State::Armed | State::Awaiting => book.insert_plain(slot, at),
            State::TrailSolo => {
                let low = slot.aux;
                book.insert_trailing(slot, at, low);
            }
            State::Free | State::Waiting | State::TrailGroup | State::Spent => return,
        }
        self.refresh(m, src, dir);
    }

    /// Takes a leg out of its index (if any) and refreshes that book's thresholds.
    pub(crate) fn unindex(&mut self, at: u32) {
        let slot = &self.slab[at];
        let (m, src, dir) = (slot.market as usize, slot.source.index(), slot.dir());
        self.sides[m][src][dir].remove(slot, at);
        self.refresh(m, src, dir);
    }

    pub(crate) fn refresh(&mut self, m: usize, src: usize, dir: usize) {
        let (fire_at, rekey_below) = self.sides[m][src][dir].fronts();
        let h = &mut self.hot[m][src];
        h.fire_at[dir] = fire_at;
        h.rekey_below[dir] = rekey_below;
    }

    /// Cancels a trigger (all its legs) or alert.
    pub fn cancel(&mut self, id: TriggerId) -> Result<(), NotArmed> {
        if self.balance.cancel(id) {
            return Ok(());
        }
        let at = self.ids.remove(id, &self.slab).ok_or(NotArmed(id))?;
        self.client_ids.remove(&id);
        for leg in self.slab.ring(at) {
            self.unindex(leg);
            self.slab.free(leg);
        }
        Ok(())
    }

    /// Arms a balance alert.
    pub fn arm_balance_alert(&mut self, spec: BalanceAlertSpec) -> Result<(), ArmError> {
        if self.contains(spec.id) {
            return Err(ArmError::DuplicateId(spec.id));
        }
        self.balance.arm(spec)
    }

    /// A new balance for an asset on a credential: fires (in arming order) every balance alert
    /// it meets. Works whatever the trading switch.
    pub fn on_balance(
        &mut self,
        credential: tradeward_domain::CredentialId,
        asset: &str,
        balance: Decimal,
        out: &mut Vec<crate::event::Event>,
    ) {
        self.balance.on_balance(credential, asset, balance, out);
    }

    /// Renumbers arming sequences 0..n in their current order, so the 32-bit counter never
    /// wraps. Rebuilds every index; trailing stops keep their extremes.
    pub(crate) fn resequence(&mut self) {
        let mut live: Vec<u32> = Vec::with_capacity(self.slab.live());
        for (at, slot) in self.slab.iter_mut() {
            if slot.state == State::Free {
                continue;
            }
            if slot.state == State::TrailGroup {
                let book = &self.sides[slot.market as usize][slot.source.index()][slot.dir()];
                let (low, level) = book.trailing_now(slot);
                slot.aux = low;
                slot.level = level;
                slot.state = State::TrailSolo;
            }
            live.push(at);
        }
        live.sort_by_key(|&at| self.slab[at].seq);
        for books in &mut self.sides {
            *books = std::array::from_fn(|_| [SideBook::new(sign(0)), SideBook::new(sign(1))]);
        }
        for h in self.hot.iter_mut().flatten() {
            *h = Hot {
                price: h.price,
                ..Hot::EMPTY
            };
        }
        self.next_seq = 0;
        for at in live {
            self.slab[at].seq = self.next_seq;
            self.next_seq += 1;
            self.place(at);
        }
    }

    #[cfg(test)]
    pub(crate) fn set_next_seq(&mut self, seq: u32) {
        self.next_seq = seq;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rust_decimal_macros::dec;
    use tradeward_domain::{CredentialId, Side, UserId, Venue};
    use uuid::Uuid;

    use super::*;
    use crate::event::Event;
    use crate::spec::{Leg, OrderKind, OrderPlan, Trail, TriggerBody};

    fn spec(n: u128, side: Side, kind: OrderKind) -> TriggerSpec {
        TriggerSpec {
            id: TriggerId::from_uuid(Uuid::from_u128(n)),
            owner: UserId::from_uuid(Uuid::from_u128(1)),
            market: MarketKey {
                venue: Venue::Sim,
                symbol: "BTC/USDT".parse().unwrap(),
            },
            client_id: None,
            body: TriggerBody::Order {
                credential: CredentialId::from_uuid(Uuid::from_u128(2)),
                plan: OrderPlan::Single(Leg {
                    side,
                    quantity: dec!(1),
                    source: PriceSource::Last,
                    kind,
                }),
            },
        }
    }

    fn fired_ids(out: &[Event]) -> Vec<u128> {
        out.iter()
            .filter_map(|e| match e {
                Event::Fired(f) => Some(f.id.as_uuid().as_u128()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sequence_counter_near_wrap_renumbers_and_keeps_arming_order() {
        let mut b = TriggerBooks::new();
        let m = b
            .add_market(
                MarketKey {
                    venue: Venue::Sim,
                    symbol: "BTC/USDT".parse().unwrap(),
                },
                MarketRules {
                    tick_size: dec!(1),
                    step_size: dec!(1),
                    min_notional: dec!(0),
                },
            )
            .unwrap();
        b.on_price(m, PriceSource::Last, dec!(100), &mut Vec::new())
            .unwrap();
        let stop = OrderKind::StopMarket { stop: dec!(90) };
        let trail = OrderKind::TrailingStop {
            trail: Trail::Amount(dec!(5)),
            activation: None,
        };
        b.arm(spec(1, Side::Sell, stop.clone())).unwrap();
        b.arm(spec(2, Side::Sell, trail)).unwrap();
        // A new high moves the trailing stop into the shared group before renumbering.
        b.on_price(m, PriceSource::Last, dec!(105), &mut Vec::new())
            .unwrap();
        b.set_next_seq(u32::MAX - 1);
        b.arm(spec(3, Side::Sell, stop)).unwrap();
        assert!(b.next_seq < 10, "renumbered: {}", b.next_seq);
        let mut out = Vec::new();
        b.on_price(m, PriceSource::Last, dec!(80), &mut out)
            .unwrap();
        // Trailing level 100 first (crossed first on the way down), then 1 and 3 at 90 in
        // arming order.
        assert_eq!(fired_ids(&out), [2, 1, 3]);
    }
}
