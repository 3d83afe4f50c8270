//! Snapshots and restore: every armed trigger as plain data ([`Snapshot`]), and re-arming from
//! it. Persistence is the caller's; this only turns state into data and back.
//!
//! A restored book has no prices yet: the first update evaluates restored legs, so a condition
//! met while the server was down fires on that first update. A caller that would rather mark
//! those as missed restores with trading off and turns it on after the first prices.

use rust_decimal::Decimal;
use tradeward_domain::Side;

use crate::books::TriggerBooks;
use crate::compile::{compile, Compiled};
use crate::error::ArmError;
use crate::event::TriggerKind;
use crate::slab::{AlertTag, LegKind, Plan, Slot, State};
use crate::spec::{
    AlertCondition, ArmedTrigger, FollowUp, Leg, LegState, LegStatus, LimitPrice, OrderKind,
    OrderPlan, PriceAlert, Snapshot, Trail, TriggerBody, TriggerSpec,
};

impl TriggerBooks {
    /// Every armed trigger and alert, in arming order (of each trigger's earliest live leg).
    pub fn snapshot(&self) -> Snapshot {
        let mut rings: Vec<(u32, Vec<u32>)> = self
            .ids
            .values()
            .map(|at| {
                let mut ring = self.slab.ring(at);
                ring.sort_by_key(|&l| self.slab[l].leg);
                let first = ring
                    .iter()
                    .map(|&l| &self.slab[l])
                    .filter(|s| s.state != State::Spent)
                    .map(|s| s.seq)
                    .min()
                    .unwrap_or(u32::MAX);
                (first, ring)
            })
            .collect();
        rings.sort();
        Snapshot {
            triggers: rings.iter().map(|(_, ring)| self.armed(ring)).collect(),
            balance_alerts: self.balance.snapshot(),
        }
    }

    /// One armed trigger's spec and live leg states (what [`Self::snapshot`] lists for it), or
    /// `None` if it is not armed. A caller persists this to restore the trigger exactly
    /// (a trailing stop's extreme, a bracket's progress) after a restart.
    pub fn armed_trigger(&self, id: crate::spec::TriggerId) -> Option<ArmedTrigger> {
        let at = self.ids.get(id, &self.slab)?;
        let mut ring = self.slab.ring(at);
        ring.sort_by_key(|&l| self.slab[l].leg);
        Some(self.armed(&ring))
    }

    /// Re-arms everything in a snapshot taken by [`Self::snapshot`] (markets must be registered
    /// first). All or nothing: on error nothing is armed. Arming order is kept.
    pub fn restore(&mut self, snapshot: Snapshot) -> Result<(), ArmError> {
        let mut compiled: Vec<(Vec<Compiled>, Option<String>)> =
            Vec::with_capacity(snapshot.triggers.len());
        let mut seen = std::collections::HashSet::new();
        for t in &snapshot.triggers {
            let market = self
                .market_id(&t.spec.market)
                .ok_or_else(|| ArmError::UnknownMarket(t.spec.market.to_string()))?;
            if self.contains(t.spec.id) || !seen.insert(t.spec.id) {
                return Err(ArmError::DuplicateId(t.spec.id));
            }
            compiled.push((
                compile(&t.spec, &self.ctx(market), Some(&t.legs))?,
                t.spec.client_id.clone(),
            ));
        }
        for b in &snapshot.balance_alerts {
            if self.contains(b.id) || !seen.insert(b.id) {
                return Err(ArmError::DuplicateId(b.id));
            }
        }
        self.insert_compiled(compiled)?;
        for b in snapshot.balance_alerts {
            self.balance.arm(b)?;
        }
        Ok(())
    }

    fn armed(&self, ring: &[u32]) -> ArmedTrigger {
        let slots: Vec<&Slot> = ring.iter().map(|&l| &self.slab[l]).collect();
        let first = slots[0];
        let market = &self.markets[first.market as usize];
        let body = match first.kind {
            LegKind::Alert(tag) => {
                let level = market.tick.to_decimal(first.level);
                TriggerBody::PriceAlert(PriceAlert {
                    source: first.source,
                    condition: match tag {
                        AlertTag::Above => AlertCondition::Above(level),
                        AlertTag::Below => AlertCondition::Below(level),
                        AlertTag::Crossing => AlertCondition::Crossing(level),
                        AlertTag::PercentMove => AlertCondition::PercentMove {
                            percent: Decimal::new(first.trail, 4).normalize(),
                            reference: Some(market.tick.to_decimal(first.aux)),
                        },
                    },
                })
            }
            LegKind::Order(_) => {
                let legs: Vec<Leg> = slots.iter().map(|s| self.leg_spec(s)).collect();
                let mut it = legs.into_iter();
                let mut next = || it.next().unwrap_or_else(unreachable_leg);
                let plan = match first.plan {
                    Plan::Oco => OrderPlan::Oco {
                        first: next(),
                        second: next(),
                    },
                    Plan::Oto => OrderPlan::Oto {
                        primary: next(),
                        then: FollowUp::Single(next()),
                    },
                    Plan::OtoOco => OrderPlan::Oto {
                        primary: next(),
                        then: FollowUp::Oco {
                            first: next(),
                            second: next(),
                        },
                    },
                    Plan::Single | Plan::Alert => OrderPlan::Single(next()),
                };
                TriggerBody::Order {
                    credential: first.credential,
                    plan,
                }
            }
        };
        let legs = slots
            .iter()
            .filter_map(|s| {
                let status = match s.state {
                    State::Armed => LegStatus::Armed,
                    State::Waiting => LegStatus::Waiting,
                    State::Awaiting => LegStatus::AwaitingActivation,
                    State::TrailSolo | State::TrailGroup => {
                        let book = &self.sides[s.market as usize][s.source.index()][s.dir()];
                        let (low, _) = book.trailing_now(s);
                        LegStatus::Trailing {
                            extreme: market.tick.to_decimal(book.s * low),
                        }
                    }
                    State::Spent | State::Free => return None,
                };
                Some(LegState {
                    leg: s.leg,
                    seq: u64::from(s.seq),
                    status,
                })
            })
            .collect();
        ArmedTrigger {
            spec: TriggerSpec {
                id: first.id,
                owner: first.owner,
                market: market.key.clone(),
                client_id: self.client_ids.get(&first.id).map(|c| c.to_string()),
                body,
            },
            legs,
        }
    }

    /// The spec of one order leg, as armed (limits as prices; an activated trailing stop loses
    /// its activation price, which no longer matters).
    fn leg_spec(&self, s: &Slot) -> Leg {
        let market = &self.markets[s.market as usize];
        let px = |t: i64| market.tick.to_decimal(t);
        let kind = match s.kind {
            LegKind::Order(TriggerKind::StopMarket) => OrderKind::StopMarket { stop: px(s.level) },
            LegKind::Order(TriggerKind::StopLimit) => OrderKind::StopLimit {
                stop: px(s.level),
                limit: LimitPrice::Price(px(s.level + s.aux)),
            },
            LegKind::Order(TriggerKind::TakeProfitMarket) => OrderKind::TakeProfitMarket {
                trigger: px(s.level),
            },
            LegKind::Order(TriggerKind::TakeProfitLimit) => OrderKind::TakeProfitLimit {
                trigger: px(s.level),
                limit: LimitPrice::Price(px(s.level + s.aux)),
            },
            LegKind::Order(TriggerKind::TrailingStop) | LegKind::Alert(_) => {
                OrderKind::TrailingStop {
                    trail: if s.pct {
                        Trail::Percent(Decimal::new(s.trail, 4).normalize())
                    } else {
                        Trail::Amount(px(s.trail))
                    },
                    activation: (s.activation
                        && matches!(s.state, State::Awaiting | State::Waiting))
                    .then(|| px(s.level)),
                }
            }
        };
        Leg {
            side: s.side,
            quantity: market.step.to_decimal(s.qty),
            source: s.source,
            kind,
        }
    }
}

/// Rings always hold every leg of their plan (legs leave together), so this is never reached;
/// a harmless placeholder keeps `snapshot` free of panics all the same.
fn unreachable_leg() -> Leg {
    Leg {
        side: Side::Buy,
        quantity: Decimal::ZERO,
        source: crate::spec::PriceSource::Last,
        kind: OrderKind::StopMarket {
            stop: Decimal::ZERO,
        },
    }
}
