//! Arm-time validation: turns a [`TriggerSpec`] into slab legs in ticks and steps, or a typed
//! error. Nothing is armed here; the caller inserts the legs only if every one compiled.
//!
//! Checks, per leg: quantity a positive whole multiple of the step; every price a positive
//! whole multiple of the tick; the level on the correct side of the reference price (the current
//! price of the leg's source, or for a one-triggers-other follow-up the primary's level, as the
//! follow-up starts life where the primary fires); the order's value at least the minimum
//! notional. When restoring a snapshot there is no current price yet, so side checks are skipped
//! (the legs were checked when first armed) and each leg's state comes from the snapshot.

use rust_decimal::Decimal;
use tradeward_domain::{CredentialId, Side};

use crate::error::ArmError;
use crate::event::TriggerKind;
use crate::market::{Grid, MarketKey, MarketRules};
use crate::slab::{sign, AlertTag, LegKind, Plan, Slot, State, DOWN, NIL, UP};
use crate::spec::{
    AlertCondition, FollowUp, Leg, LegState, LegStatus, LimitPrice, OrderKind, OrderPlan,
    PriceAlert, PriceSource, Trail, TriggerBody, TriggerSpec,
};

/// "No price seen yet" in the hot price array.
pub(crate) const NO_PRICE: i64 = i64::MIN;
const CLIENT_ID_MAX: usize = 64;

/// What compilation needs to know about the market.
pub(crate) struct Ctx<'a> {
    pub key: &'a MarketKey,
    pub market: u32,
    pub rules: &'a MarketRules,
    pub tick: Grid,
    pub step: Grid,
    /// Current price per source, in ticks, or [`NO_PRICE`].
    pub prices: [i64; 3],
}

/// A compiled leg and, when restoring, the sequence it had.
pub(crate) struct Compiled {
    pub slot: Slot,
    pub saved_seq: u64,
}

/// Compiles a spec. `restore` carries the snapshot's leg states when restoring.
pub(crate) fn compile(
    spec: &TriggerSpec,
    ctx: &Ctx<'_>,
    restore: Option<&[LegState]>,
) -> Result<Vec<Compiled>, ArmError> {
    if let Some(c) = &spec.client_id {
        if c.is_empty() || c.chars().count() > CLIENT_ID_MAX {
            return Err(ArmError::Text {
                what: "client id",
                max: CLIENT_ID_MAX,
            });
        }
    }
    let restoring = restore.is_some();
    let template = Slot {
        id: spec.id,
        owner: spec.owner,
        credential: CredentialId::from_uuid(uuid::Uuid::nil()),
        qty: 0,
        level: 0,
        aux: 0,
        trail: 0,
        seq: 0,
        market: ctx.market,
        next: NIL,
        kind: LegKind::Alert(AlertTag::Above),
        state: State::Armed,
        plan: Plan::Single,
        side: Side::Buy,
        source: PriceSource::Last,
        leg: 0,
        pct: false,
        activation: false,
    };
    let slots = match &spec.body {
        TriggerBody::PriceAlert(alert) => compile_alert(alert, ctx, template, restore)?,
        TriggerBody::Order { credential, plan } => {
            let t = Slot {
                credential: *credential,
                ..template
            };
            let mut legs = Vec::with_capacity(3);
            match plan {
                OrderPlan::Single(l) => {
                    let r = current(ctx, l.source, restoring)?;
                    legs.push(order_leg(l, 0, Plan::Single, r, r, ctx, &t)?);
                }
                OrderPlan::Oco { first, second } => {
                    for (no, l) in [first, second].into_iter().enumerate() {
                        let r = current(ctx, l.source, restoring)?;
                        legs.push(order_leg(l, no as u8, Plan::Oco, r, r, ctx, &t)?);
                    }
                }
                OrderPlan::Oto { primary, then } => {
                    let follow: Vec<&Leg> = match then {
                        FollowUp::Single(l) => vec![l],
                        FollowUp::Oco { first, second } => vec![first, second],
                    };
                    let plan = if follow.len() == 1 {
                        Plan::Oto
                    } else {
                        Plan::OtoOco
                    };
                    let r = current(ctx, primary.source, restoring)?;
                    let p = order_leg(primary, 0, plan, r, r, ctx, &t)?;
                    // A follow-up starts where the primary fires; a trailing primary has no
                    // fixed level, so its follow-ups are checked against the price now.
                    let entry = match p.kind {
                        LegKind::Order(TriggerKind::TrailingStop) => None,
                        _ => Some(p.level),
                    };
                    legs.push(p);
                    for (i, l) in follow.into_iter().enumerate() {
                        let now = current(ctx, l.source, restoring)?;
                        let r = entry.or(now);
                        let mut f = order_leg(l, i as u8 + 1, plan, r, now, ctx, &t)?;
                        f.state = State::Waiting;
                        legs.push(f);
                    }
                }
            }
            legs
        }
    };
    apply_states(spec, ctx, slots, restore)
}

/// The current price of `source` in ticks; `None` when restoring.
fn current(ctx: &Ctx<'_>, source: PriceSource, restoring: bool) -> Result<Option<i64>, ArmError> {
    if restoring {
        return Ok(None);
    }
    match ctx.prices[source.index()] {
        NO_PRICE => Err(ArmError::NoPrice {
            market: ctx.key.to_string(),
            price_source: source,
        }),
        p => Ok(Some(p)),
    }
}

fn ticks(ctx: &Ctx<'_>, leg: u8, what: &'static str, value: Decimal) -> Result<i64, ArmError> {
    match ctx.tick.to_units(value) {
        Some(t) if t > 0 => Ok(t),
        _ => Err(ArmError::OffTick {
            leg,
            what,
            value,
            tick: ctx.rules.tick_size,
        }),
    }
}

/// Parts per million of a percentage: `0 < p < 100`, at most 4 decimals.
fn ppm(what: &'static str, p: Decimal) -> Result<i64, ArmError> {
    let err = ArmError::Percent { what, value: p };
    if p <= Decimal::ZERO || p >= Decimal::ONE_HUNDRED {
        return Err(err);
    }
    let v = p * Decimal::from(10_000);
    if !v.fract().is_zero() {
        return Err(err);
    }
    i64::try_from(v).map_err(|_| err)
}

fn check_side(
    ctx: &Ctx<'_>,
    leg: u8,
    what: &'static str,
    level: i64,
    above: bool,
    reference: Option<i64>,
) -> Result<(), ArmError> {
    let Some(r) = reference else { return Ok(()) };
    if (above && level > r) || (!above && level < r) {
        return Ok(());
    }
    Err(ArmError::WrongSide {
        leg,
        what,
        level: ctx.tick.to_decimal(level),
        must_be: if above { "above" } else { "below" },
        current: ctx.tick.to_decimal(r),
    })
}

/// One order leg. `reference` is what the level is checked against; `now` the current price of
/// the leg's source (where a trailing stop without activation starts).
fn order_leg(
    l: &Leg,
    no: u8,
    plan: Plan,
    reference: Option<i64>,
    now: Option<i64>,
    ctx: &Ctx<'_>,
    t: &Slot,
) -> Result<Slot, ArmError> {
    let qty = match ctx.step.to_units(l.quantity) {
        Some(q) if q > 0 => q,
        _ => {
            return Err(ArmError::Quantity {
                leg: no,
                quantity: l.quantity,
                problem: if l.quantity < ctx.rules.step_size {
                    "below"
                } else {
                    "not a multiple of"
                },
                step: ctx.rules.step_size,
            })
        }
    };
    let buy = l.side == Side::Buy;
    let mut s = Slot {
        qty,
        plan,
        side: l.side,
        source: l.source,
        leg: no,
        ..t.clone()
    };
    let limit = |level: i64, limit: &LimitPrice| -> Result<i64, ArmError> {
        let aux = match *limit {
            LimitPrice::Offset(o) => {
                let o = match ctx.tick.to_units(o) {
                    Some(o) if o >= 0 => o,
                    _ => {
                        return Err(ArmError::OffTick {
                            leg: no,
                            what: "limit offset",
                            value: o,
                            tick: ctx.rules.tick_size,
                        })
                    }
                };
                if buy {
                    o
                } else {
                    -o
                }
            }
            LimitPrice::Price(p) => ticks(ctx, no, "limit price", p)? - level,
        };
        if level + aux <= 0 {
            return Err(ArmError::LimitNotPositive {
                leg: no,
                limit: ctx.tick.to_decimal(level + aux),
            });
        }
        Ok(aux)
    };
    let notional_at: Option<i64>;
    match &l.kind {
        OrderKind::StopMarket { stop } | OrderKind::StopLimit { stop, .. } => {
            s.level = ticks(ctx, no, "stop", *stop)?;
            let what = if buy { "buy stop" } else { "sell stop" };
            check_side(ctx, no, what, s.level, buy, reference)?;
            if let OrderKind::StopLimit { limit: lp, .. } = &l.kind {
                s.kind = LegKind::Order(TriggerKind::StopLimit);
                s.aux = limit(s.level, lp)?;
            } else {
                s.kind = LegKind::Order(TriggerKind::StopMarket);
            }
            notional_at = Some(s.level + s.aux);
        }
        OrderKind::TakeProfitMarket { trigger } | OrderKind::TakeProfitLimit { trigger, .. } => {
            s.level = ticks(ctx, no, "take-profit trigger", *trigger)?;
            let what = if buy {
                "buy take-profit"
            } else {
                "sell take-profit"
            };
            check_side(ctx, no, what, s.level, !buy, reference)?;
            if let OrderKind::TakeProfitLimit { limit: lp, .. } = &l.kind {
                s.kind = LegKind::Order(TriggerKind::TakeProfitLimit);
                s.aux = limit(s.level, lp)?;
            } else {
                s.kind = LegKind::Order(TriggerKind::TakeProfitMarket);
            }
            notional_at = Some(s.level + s.aux);
        }
        OrderKind::TrailingStop { trail, activation } => {
            s.kind = LegKind::Order(TriggerKind::TrailingStop);
            match *trail {
                Trail::Amount(a) => s.trail = ticks(ctx, no, "trail amount", a)?,
                Trail::Percent(p) => {
                    s.trail = ppm("trail percent", p)?;
                    s.pct = true;
                }
            }
            match activation {
                Some(a) => {
                    s.level = ticks(ctx, no, "activation price", *a)?;
                    // A sell trailing stop activates as the price rises to it; a buy one as it falls.
                    let what = if buy {
                        "buy trailing activation"
                    } else {
                        "sell trailing activation"
                    };
                    check_side(ctx, no, what, s.level, !buy, reference)?;
                    s.state = State::Awaiting;
                    s.activation = true;
                    notional_at = Some(s.level);
                }
                None => {
                    s.state = State::TrailSolo;
                    let dir = if buy { UP } else { DOWN };
                    s.aux = now.map_or(0, |p| sign(dir) * p);
                    notional_at = now;
                }
            }
        }
    }
    if let Some(p) = notional_at {
        let notional = l.quantity * ctx.tick.to_decimal(p);
        if notional < ctx.rules.min_notional {
            return Err(ArmError::MinNotional {
                leg: no,
                notional,
                min: ctx.rules.min_notional,
            });
        }
    }
    Ok(s)
}

fn compile_alert(
    alert: &PriceAlert,
    ctx: &Ctx<'_>,
    t: Slot,
    restore: Option<&[LegState]>,
) -> Result<Vec<Slot>, ArmError> {
    let r = current(ctx, alert.source, restore.is_some())?;
    let mk = |tag: AlertTag, leg: u8, level: i64| Slot {
        kind: LegKind::Alert(tag),
        plan: Plan::Alert,
        source: alert.source,
        leg,
        level,
        ..t.clone()
    };
    let listed = |leg: u8| restore.is_some_and(|st| st.iter().any(|s| s.leg == leg));
    Ok(match alert.condition {
        AlertCondition::Above(l) => {
            let level = ticks(ctx, 0, "alert level", l)?;
            check_side(ctx, 0, "alert level", level, true, r)?;
            vec![mk(AlertTag::Above, 0, level)]
        }
        AlertCondition::Below(l) => {
            let level = ticks(ctx, 1, "alert level", l)?;
            check_side(ctx, 1, "alert level", level, false, r)?;
            vec![mk(AlertTag::Below, 1, level)]
        }
        AlertCondition::Crossing(l) => {
            let level = ticks(ctx, 0, "alert level", l)?;
            match r {
                Some(r) if level > r => vec![mk(AlertTag::Crossing, 0, level)],
                Some(r) if level < r => vec![mk(AlertTag::Crossing, 1, level)],
                Some(_) => return Err(ArmError::AtCurrentPrice(l)),
                None => (0..2)
                    .filter(|&leg| listed(leg))
                    .map(|leg| mk(AlertTag::Crossing, leg, level))
                    .collect(),
            }
        }
        AlertCondition::PercentMove { percent, reference } => {
            let ppm = ppm("percent move", percent)?;
            let base = match (reference, r) {
                (Some(p), _) => ticks(ctx, 0, "reference price", p)?,
                (None, Some(r)) => r,
                (None, None) => {
                    return Err(ArmError::BadSnapshot {
                        id: t.id,
                        problem: "percent-move alert without its reference price",
                    })
                }
            };
            // Round outward so the alert never fires on a move smaller than asked.
            let d = ((i128::from(base) * i128::from(ppm) + 999_999) / 1_000_000) as i64;
            let (up, down) = (base + d.max(1), base - d.max(1));
            if down <= 0 {
                return Err(ArmError::Percent {
                    what: "percent move",
                    value: percent,
                });
            }
            check_side(ctx, 0, "alert level", up, true, r)?;
            check_side(ctx, 1, "alert level", down, false, r)?;
            let mut legs = vec![
                mk(AlertTag::PercentMove, 0, up),
                mk(AlertTag::PercentMove, 1, down),
            ];
            for l in &mut legs {
                l.aux = base;
                l.trail = ppm;
            }
            legs
        }
    })
}

/// Fresh arming: every leg keeps its compiled state. Restoring: keeps only the listed legs, in
/// the listed states (an OTO primary whose follow-ups are live is kept as spent).
fn apply_states(
    spec: &TriggerSpec,
    ctx: &Ctx<'_>,
    slots: Vec<Slot>,
    restore: Option<&[LegState]>,
) -> Result<Vec<Compiled>, ArmError> {
    let Some(states) = restore else {
        return Ok(slots
            .into_iter()
            .map(|slot| Compiled { slot, saved_seq: 0 })
            .collect());
    };
    let bad = |problem| ArmError::BadSnapshot {
        id: spec.id,
        problem,
    };
    for st in states {
        if !slots.iter().any(|s| s.leg == st.leg) {
            return Err(bad("a leg number the spec does not have"));
        }
    }
    let mut out = Vec::new();
    let live_follow_ups = states.iter().any(|s| s.leg > 0);
    for mut slot in slots {
        let Some(st) = states.iter().find(|s| s.leg == slot.leg) else {
            if slot.leg == 0 && matches!(slot.plan, Plan::Oto | Plan::OtoOco) && live_follow_ups {
                slot.state = State::Spent;
                out.push(Compiled { slot, saved_seq: 0 });
            }
            continue;
        };
        let trailing = slot.kind == LegKind::Order(TriggerKind::TrailingStop);
        slot.state = match st.status {
            LegStatus::Armed if !trailing => State::Armed,
            LegStatus::Waiting if slot.leg > 0 && matches!(slot.plan, Plan::Oto | Plan::OtoOco) => {
                if trailing && !slot.activation {
                    slot.level = 0;
                }
                State::Waiting
            }
            LegStatus::AwaitingActivation if trailing && slot.activation => State::Awaiting,
            LegStatus::Trailing { extreme } if trailing => {
                let p = ticks(ctx, slot.leg, "trailing extreme", extreme)?;
                slot.aux = sign(if slot.side == Side::Buy { UP } else { DOWN }) * p;
                State::TrailSolo
            }
            _ => return Err(bad("a leg state that does not fit the leg's kind")),
        };
        out.push(Compiled {
            slot,
            saved_seq: st.seq,
        });
    }
    if out.iter().all(|c| c.slot.state == State::Spent) {
        return Err(bad("no live leg"));
    }
    Ok(out)
}
