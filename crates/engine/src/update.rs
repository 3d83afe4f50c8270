//! Price updates: the hot path and what happens when something is crossed.
//!
//! The hot path reads one 40-byte [`crate::books::Hot`] record: the price is stored, and only if
//! it is past a side book's `fire_at` or below its `rekey_below` threshold does the update touch
//! an index. Crossed legs are popped from the fronts of the indexes (O(log n + fired)), sorted
//! into the documented order (see [`crate::event`]), then processed one by one: fire (or miss,
//! while trading is off), cancel OCO siblings, arm follow-ups. Follow-ups armed by the update
//! are then evaluated against the current prices in a second round.

use rust_decimal::Decimal;

use crate::books::TriggerBooks;
use crate::compile::NO_PRICE;
use crate::error::PriceError;
use crate::event::{
    AlertFired, CancelReason, Event, FireReason, Fired, Missed, OrderToPlace, TriggerKind,
};
use crate::market::{MarketId, MAX_TICKS};
use crate::side_book::Crossed;
use crate::slab::{sign, AlertTag, LegKind, Plan, State, DOWN, UP};
use crate::spec::{AlertCondition, PriceSource};

impl TriggerBooks {
    /// Converts a price to the market's ticks (exact multiples only).
    pub fn to_ticks(&self, market: MarketId, price: Decimal) -> Result<i64, PriceError> {
        let m = self
            .markets
            .get(market.index())
            .ok_or(PriceError::UnknownMarket(market.index()))?;
        match m.tick.to_units(price) {
            Some(t) if t > 0 => Ok(t),
            _ => Err(PriceError::OffTick {
                price,
                tick: m.rules.tick_size,
            }),
        }
    }

    /// A new price for one market and source. Appends what happened to `out`, in order.
    pub fn on_price(
        &mut self,
        market: MarketId,
        source: PriceSource,
        price: Decimal,
        out: &mut Vec<Event>,
    ) -> Result<(), PriceError> {
        let ticks = self.to_ticks(market, price)?;
        self.on_price_ticks(market, source, ticks, out)
    }

    /// [`Self::on_price`] with the price already in ticks (see [`Self::to_ticks`]).
    #[inline]
    pub fn on_price_ticks(
        &mut self,
        market: MarketId,
        source: PriceSource,
        ticks: i64,
        out: &mut Vec<Event>,
    ) -> Result<(), PriceError> {
        if !(1..=MAX_TICKS).contains(&ticks) {
            return Err(PriceError::TicksOutOfRange(ticks));
        }
        let h = self
            .hot
            .get_mut(market.index())
            .ok_or(PriceError::UnknownMarket(market.index()))?;
        let h = &mut h[source.index()];
        h.price = ticks;
        let up = ticks >= h.fire_at[UP] || ticks < h.rekey_below[UP];
        let down = -ticks >= h.fire_at[DOWN] || -ticks < h.rekey_below[DOWN];
        if up || down {
            self.slow_path(market.index(), source.index(), [up, down], out);
        }
        Ok(())
    }

    /// `dirs`: which side books of `(m, src)` the price reached a threshold of; only those
    /// are touched (the other's thresholds prove it has nothing to do).
    fn slow_path(&mut self, m: usize, src: usize, dirs: [bool; 2], out: &mut Vec<Event>) {
        let mut crossed = std::mem::take(&mut self.scratch);
        crossed.clear();
        self.evaluate(m, src, dirs, &mut crossed);
        let mut follow_ups = Vec::new();
        loop {
            crossed.sort_unstable();
            self.process(&crossed, out, &mut follow_ups);
            if follow_ups.is_empty() {
                break;
            }
            // Follow-ups armed by this update meet the current prices now, not at the next
            // update. They have no follow-ups of their own, so this runs at most twice.
            follow_ups.clear();
            crossed.clear();
            for s in 0..3 {
                if self.hot[m][s].price != NO_PRICE {
                    self.evaluate(m, s, [true, true], &mut crossed);
                }
            }
        }
        self.scratch = crossed;
    }

    fn evaluate(&mut self, m: usize, src: usize, dirs: [bool; 2], crossed: &mut Vec<Crossed>) {
        let price = self.hot[m][src].price;
        for dir in [UP, DOWN] {
            if !dirs[dir] {
                continue;
            }
            let book = &mut self.sides[m][src][dir];
            book.evaluate(
                sign(dir) * price,
                &mut self.slab,
                src as u8,
                dir as u8,
                crossed,
            );
            self.refresh(m, src, dir);
        }
    }

    fn process(&mut self, crossed: &[Crossed], out: &mut Vec<Event>, follow_ups: &mut Vec<u32>) {
        for c in crossed {
            let at = c.slot;
            let slot = &self.slab[at];
            // Skips legs that an earlier leg of this update cancelled (OCO siblings).
            if slot.state == State::Free || slot.seq != c.seq {
                continue;
            }
            let m = slot.market as usize;
            let market = self.markets.get(m).map(|mk| (mk.tick, mk.step));
            let Some((tick, step)) = market else { continue };
            let observed = self.hot[m][c.source as usize].price;
            match slot.kind {
                LegKind::Alert(tag) => {
                    let id = slot.id;
                    let condition = match tag {
                        AlertTag::Above => AlertCondition::Above(tick.to_decimal(slot.level)),
                        AlertTag::Below => AlertCondition::Below(tick.to_decimal(slot.level)),
                        AlertTag::Crossing => AlertCondition::Crossing(tick.to_decimal(slot.level)),
                        AlertTag::PercentMove => AlertCondition::PercentMove {
                            percent: Decimal::new(slot.trail, 4).normalize(),
                            reference: Some(tick.to_decimal(slot.aux)),
                        },
                    };
                    out.push(Event::Alert(AlertFired {
                        id: slot.id,
                        owner: slot.owner,
                        market: MarketId(m as u32),
                        condition,
                        level: tick.to_decimal(slot.level),
                        observed_price: tick.to_decimal(observed),
                        source: slot.source,
                        client_id: self.client_ids.get(&slot.id).map(|c| c.to_string()),
                    }));
                    // A percent-move alert's other leg goes with it, silently.
                    for other in self.slab.ring(at).into_iter().skip(1) {
                        self.unindex(other);
                        self.drop_leg(other);
                    }
                    let rest = self.drop_leg(at);
                    self.settle(id, rest);
                }
                LegKind::Order(TriggerKind::TrailingStop) if slot.state == State::Awaiting => {
                    // Activation: start trailing from the price that reached the activation level.
                    let dir = if slot.side == tradeward_domain::Side::Sell {
                        DOWN
                    } else {
                        UP
                    };
                    let src = c.source as usize;
                    let slot = &mut self.slab[at];
                    self.sides[m][src][dir].insert_trailing(slot, at, sign(dir) * observed);
                    self.refresh(m, src, dir);
                }
                LegKind::Order(kind) => {
                    let (id, leg, plan) = (slot.id, slot.leg, slot.plan);
                    let trigger_price = tick.to_decimal(slot.level);
                    if self.trading {
                        let order = match kind {
                            TriggerKind::StopLimit | TriggerKind::TakeProfitLimit => {
                                OrderToPlace::Limit {
                                    price: tick.to_decimal(slot.level + slot.aux),
                                }
                            }
                            _ => OrderToPlace::Market,
                        };
                        out.push(Event::Fired(Fired {
                            id,
                            leg,
                            owner: slot.owner,
                            credential: slot.credential,
                            market: MarketId(m as u32),
                            kind,
                            side: slot.side,
                            quantity: step.to_decimal(slot.qty),
                            order,
                            trigger_price,
                            observed_price: tick.to_decimal(observed),
                            source: slot.source,
                            reason: if observed == slot.level {
                                FireReason::Touched
                            } else {
                                FireReason::GappedPast
                            },
                            client_id: self.client_ids.get(&slot.id).map(|c| c.to_string()),
                        }));
                    } else {
                        out.push(Event::Missed(Missed {
                            id,
                            leg,
                            owner: slot.owner,
                            market: MarketId(m as u32),
                            kind,
                            side: slot.side,
                            trigger_price,
                            observed_price: tick.to_decimal(observed),
                        }));
                    }
                    let mut others = self.slab.ring(at);
                    others.remove(0);
                    others.retain(|&o| self.slab[o].state != State::Spent);
                    others.sort_by_key(|&o| self.slab[o].leg);
                    let sibling_reason = if self.trading {
                        CancelReason::OcoSiblingFired
                    } else {
                        CancelReason::OcoSiblingMissed
                    };
                    let primary = leg == 0 && matches!(plan, Plan::Oto | Plan::OtoOco);
                    if primary && self.trading {
                        self.slab[at].state = State::Spent;
                        for o in others {
                            self.arm_follow_up(o);
                            out.push(Event::Armed {
                                id,
                                leg: self.slab[o].leg,
                            });
                            follow_ups.push(o);
                        }
                        continue;
                    }
                    let reason = if primary {
                        Some(CancelReason::PrimaryMissed)
                    } else if matches!(plan, Plan::Oco | Plan::OtoOco) {
                        Some(sibling_reason)
                    } else {
                        None
                    };
                    if let Some(reason) = reason {
                        for o in others {
                            self.unindex(o);
                            let leg = self.slab[o].leg;
                            out.push(Event::Cancelled { id, leg, reason });
                            self.drop_leg(o);
                        }
                    }
                    let rest = self.drop_leg(at);
                    self.settle(id, rest);
                }
            }
        }
    }

    /// Arms a waiting follow-up leg with a fresh sequence.
    fn arm_follow_up(&mut self, at: u32) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        let slot = &mut self.slab[at];
        slot.seq = seq;
        slot.state = match slot.kind {
            LegKind::Order(TriggerKind::TrailingStop) if slot.activation => State::Awaiting,
            LegKind::Order(TriggerKind::TrailingStop) => {
                let dir = if slot.side == tradeward_domain::Side::Sell {
                    DOWN
                } else {
                    UP
                };
                // Arm-time validation required a price for this source, and prices never go
                // away, so `price` is known.
                slot.aux = sign(dir) * self.hot[slot.market as usize][slot.source.index()].price;
                State::TrailSolo
            }
            _ => State::Armed,
        };
        self.place(at);
    }

    fn forget(&mut self, id: crate::spec::TriggerId) {
        self.ids.remove(id, &self.slab);
        self.client_ids.remove(&id);
    }

    /// Unlinks and frees a leg; returns a remaining member of its ring.
    fn drop_leg(&mut self, at: u32) -> Option<u32> {
        let rest = self.slab.unlink(at);
        self.slab.free(at);
        rest
    }

    /// After a leg left trigger `id`: forget the id if no live leg remains (freeing a spent
    /// primary), else point the id at a remaining leg.
    fn settle(&mut self, id: crate::spec::TriggerId, rest: Option<u32>) {
        let Some(rest) = rest else {
            self.forget(id);
            return;
        };
        let ring = self.slab.ring(rest);
        if ring.iter().all(|&l| self.slab[l].state == State::Spent) {
            for l in ring {
                self.drop_leg(l);
            }
            self.forget(id);
        } else {
            self.ids.set(id, rest, &self.slab);
        }
    }
}
