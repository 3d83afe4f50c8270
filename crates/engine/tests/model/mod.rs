//! A naive reference model of the trigger books: every leg in one list, every update scans them
//! all, prices stay `Decimal`, trailing stops each keep their own extreme. Slow and obviously
//! right; the property test checks the real books fire exactly what this fires, in the same order.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use tradeward_domain::Side;
use tradeward_engine::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    Single,
    Oco,
    Oto,
    Alert,
}

#[derive(Debug, Clone)]
enum Kind {
    Stop {
        level: Decimal,
        limit: Option<Decimal>,
    },
    Tp {
        level: Decimal,
        limit: Option<Decimal>,
    },
    Trail {
        amount: Option<Decimal>,
        pct: Option<Decimal>,
        activation: Option<Decimal>,
        extreme: Decimal,
    },
    Alert {
        level: Decimal,
        up: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum St {
    Armed,
    Waiting,
    Awaiting,
    Trailing,
    Spent,
    Gone,
}

#[derive(Debug, Clone)]
struct MLeg {
    id: u128,
    leg: u8,
    plan: Plan,
    market: usize,
    source: usize,
    side: Side,
    qty: Decimal,
    kind: Kind,
    state: St,
    seq: u64,
}

/// The model.
#[derive(Debug)]
pub struct Model {
    pub ticks: Vec<Decimal>,
    pub symbols: Vec<String>,
    pub prices: Vec<[Decimal; 3]>,
    legs: Vec<MLeg>,
    seq: u64,
    pub trading: bool,
}

fn src_index(s: PriceSource) -> usize {
    match s {
        PriceSource::Last => 0,
        PriceSource::Bid => 1,
        PriceSource::Ask => 2,
    }
}

impl Model {
    pub fn new(markets: &[(&str, Decimal)], prices: Vec<[Decimal; 3]>) -> Self {
        Self {
            ticks: markets.iter().map(|m| m.1).collect(),
            symbols: markets.iter().map(|m| m.0.to_string()).collect(),
            prices,
            legs: Vec::new(),
            seq: 0,
            trading: true,
        }
    }

    pub fn live_legs(&self) -> usize {
        self.legs.iter().filter(|l| l.state != St::Gone).count()
    }

    fn dist(&self, l: &MLeg, extreme: Decimal) -> Decimal {
        let tick = self.ticks[l.market];
        let Kind::Trail { amount, pct, .. } = &l.kind else {
            unreachable!()
        };
        match (amount, pct) {
            (Some(a), _) => *a,
            (None, Some(p)) => {
                let raw = (extreme * *p / Decimal::ONE_HUNDRED / tick).floor() * tick;
                raw.max(tick)
            }
            _ => unreachable!(),
        }
    }

    /// 0: fires when the price rises to the level; 1: when it falls to it.
    fn dir(&self, l: &MLeg) -> usize {
        let up = match (&l.kind, l.state) {
            (Kind::Stop { .. }, _) => l.side == Side::Buy,
            (Kind::Tp { .. }, _) => l.side == Side::Sell,
            (Kind::Trail { .. }, St::Awaiting) => l.side == Side::Sell,
            (Kind::Trail { .. }, _) => l.side == Side::Buy,
            (Kind::Alert { up, .. }, _) => *up,
        };
        if up {
            0
        } else {
            1
        }
    }

    fn level(&self, l: &MLeg) -> Decimal {
        match &l.kind {
            Kind::Stop { level, .. } | Kind::Tp { level, .. } | Kind::Alert { level, .. } => *level,
            Kind::Trail {
                activation,
                extreme,
                ..
            } => {
                if l.state == St::Awaiting {
                    activation.unwrap()
                } else if l.side == Side::Sell {
                    *extreme - self.dist(l, *extreme)
                } else {
                    *extreme + self.dist(l, *extreme)
                }
            }
        }
    }

    fn crossed(&self, l: &MLeg) -> bool {
        if !matches!(l.state, St::Armed | St::Awaiting | St::Trailing) {
            return false;
        }
        let p = self.prices[l.market][l.source];
        let lv = self.level(l);
        if self.dir(l) == 0 {
            p >= lv
        } else {
            p <= lv
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Arms a spec; `Err(())` where the real books must refuse it (side checks).
    pub fn arm(&mut self, spec: &TriggerSpec) -> Result<(), ()> {
        let m = self
            .symbols
            .iter()
            .position(|s| *s == spec.market.symbol.to_string())
            .ok_or(())?;
        let tick = self.ticks[m];
        let mut new = Vec::new();
        let id = spec.id.as_uuid().as_u128();
        match &spec.body {
            TriggerBody::PriceAlert(a) => {
                let src = src_index(a.source);
                let r = self.prices[m][src];
                let mk = |leg: u8, level: Decimal, up: bool| MLeg {
                    id,
                    leg,
                    plan: Plan::Alert,
                    market: m,
                    source: src,
                    side: Side::Buy,
                    qty: Decimal::ZERO,
                    kind: Kind::Alert { level, up },
                    state: St::Armed,
                    seq: 0,
                };
                match a.condition {
                    AlertCondition::Above(l) if l > r => new.push(mk(0, l, true)),
                    AlertCondition::Below(l) if l < r => new.push(mk(1, l, false)),
                    AlertCondition::Crossing(l) if l != r => new.push(if l > r {
                        mk(0, l, true)
                    } else {
                        mk(1, l, false)
                    }),
                    AlertCondition::PercentMove {
                        percent,
                        reference: None,
                    } => {
                        let d = ((r * percent / Decimal::ONE_HUNDRED) / tick).ceil() * tick;
                        let d = d.max(tick);
                        new.push(mk(0, r + d, true));
                        new.push(mk(1, r - d, false));
                    }
                    _ => return Err(()),
                }
            }
            TriggerBody::Order { plan, .. } => {
                let (legs, plan_kind): (Vec<&Leg>, Plan) = match plan {
                    OrderPlan::Single(l) => (vec![l], Plan::Single),
                    OrderPlan::Oco { first, second } => (vec![first, second], Plan::Oco),
                    OrderPlan::Oto { primary, then } => {
                        let mut v = vec![primary];
                        match then {
                            FollowUp::Single(l) => v.push(l),
                            FollowUp::Oco { first, second } => {
                                v.push(first);
                                v.push(second);
                            }
                        }
                        (v, Plan::Oto)
                    }
                };
                let mut primary_level = None;
                for (no, l) in legs.into_iter().enumerate() {
                    let src = src_index(l.source);
                    let now = self.prices[m][src];
                    let reference = if plan_kind == Plan::Oto && no > 0 {
                        primary_level.unwrap_or(now)
                    } else {
                        now
                    };
                    let buy = l.side == Side::Buy;
                    let (kind, check) = match &l.kind {
                        OrderKind::StopMarket { stop } => (
                            Kind::Stop {
                                level: *stop,
                                limit: None,
                            },
                            Some((*stop, buy)),
                        ),
                        OrderKind::StopLimit { stop, limit } => (
                            Kind::Stop {
                                level: *stop,
                                limit: Some(limit_price(*stop, *limit, buy)),
                            },
                            Some((*stop, buy)),
                        ),
                        OrderKind::TakeProfitMarket { trigger } => (
                            Kind::Tp {
                                level: *trigger,
                                limit: None,
                            },
                            Some((*trigger, !buy)),
                        ),
                        OrderKind::TakeProfitLimit { trigger, limit } => (
                            Kind::Tp {
                                level: *trigger,
                                limit: Some(limit_price(*trigger, *limit, buy)),
                            },
                            Some((*trigger, !buy)),
                        ),
                        OrderKind::TrailingStop { trail, activation } => {
                            let (amount, pct) = match trail {
                                Trail::Amount(a) => (Some(*a), None),
                                Trail::Percent(p) => (None, Some(*p)),
                            };
                            (
                                Kind::Trail {
                                    amount,
                                    pct,
                                    activation: *activation,
                                    extreme: now,
                                },
                                activation.map(|a| (a, !buy)),
                            )
                        }
                    };
                    if let Some((level, above)) = check {
                        let ok = if above {
                            level > reference
                        } else {
                            level < reference
                        };
                        if !ok {
                            return Err(());
                        }
                    }
                    if no == 0 && !matches!(kind, Kind::Trail { .. }) {
                        primary_level = Some(self.level_of(&kind));
                    }
                    let state = if plan_kind == Plan::Oto && no > 0 {
                        St::Waiting
                    } else {
                        initial_state(&kind)
                    };
                    new.push(MLeg {
                        id,
                        leg: no as u8,
                        plan: plan_kind,
                        market: m,
                        source: src,
                        side: l.side,
                        qty: l.quantity,
                        kind,
                        state,
                        seq: 0,
                    });
                }
            }
        }
        for mut l in new {
            l.seq = self.next_seq();
            self.legs.push(l);
        }
        Ok(())
    }

    fn level_of(&self, k: &Kind) -> Decimal {
        match k {
            Kind::Stop { level, .. } | Kind::Tp { level, .. } | Kind::Alert { level, .. } => *level,
            Kind::Trail { .. } => Decimal::ZERO,
        }
    }

    pub fn cancel(&mut self, id: u128) -> bool {
        let mut any = false;
        for l in &mut self.legs {
            if l.id == id && l.state != St::Gone {
                l.state = St::Gone;
                any = true;
            }
        }
        any
    }

    /// One price update; returns the events as `common::summary` prints them.
    pub fn update(&mut self, m: usize, src: usize, price: Decimal) -> Vec<String> {
        self.prices[m][src] = price;
        for i in 0..self.legs.len() {
            let l = &self.legs[i];
            if l.market == m && l.source == src && l.state == St::Trailing {
                let sell = l.side == Side::Sell;
                if let Kind::Trail { extreme, .. } = &mut self.legs[i].kind {
                    *extreme = if sell {
                        (*extreme).max(price)
                    } else {
                        (*extreme).min(price)
                    };
                }
            }
        }
        let mut out = Vec::new();
        let mut list: Vec<usize> = (0..self.legs.len())
            .filter(|&i| {
                self.legs[i].market == m
                    && self.legs[i].source == src
                    && self.crossed(&self.legs[i])
            })
            .collect();
        loop {
            list.sort_by_key(|&i| {
                let l = &self.legs[i];
                let dir = self.dir(l);
                let lv = self.level(l);
                (l.source, dir, if dir == 0 { lv } else { -lv }, l.seq)
            });
            let follow = self.process(&list, &mut out);
            if !follow {
                break;
            }
            list = (0..self.legs.len())
                .filter(|&i| self.legs[i].market == m && self.crossed(&self.legs[i]))
                .collect();
        }
        out
    }

    fn process(&mut self, list: &[usize], out: &mut Vec<String>) -> bool {
        let mut follow = false;
        // Levels and directions as they were when crossed (before any leg changes state).
        let snap: Vec<(Decimal, usize)> = list
            .iter()
            .map(|&i| (self.level(&self.legs[i]), self.dir(&self.legs[i])))
            .collect();
        for (k, &i) in list.iter().enumerate() {
            if !matches!(self.legs[i].state, St::Armed | St::Awaiting | St::Trailing) {
                continue;
            }
            let l = self.legs[i].clone();
            let price = self.prices[l.market][l.source];
            let level = snap[k].0;
            match &l.kind {
                Kind::Alert { .. } => {
                    out.push(format!(
                        "alert {} @{} obs={}",
                        l.id,
                        level.normalize(),
                        price.normalize()
                    ));
                    for o in &mut self.legs {
                        if o.id == l.id {
                            o.state = St::Gone;
                        }
                    }
                }
                Kind::Trail { .. } if l.state == St::Awaiting => {
                    self.legs[i].state = St::Trailing;
                    if let Kind::Trail { extreme, .. } = &mut self.legs[i].kind {
                        *extreme = price;
                    }
                }
                kind => {
                    if self.trading {
                        let order = match kind {
                            Kind::Stop { limit: Some(p), .. } | Kind::Tp { limit: Some(p), .. } => {
                                format!("limit {}", p.normalize())
                            }
                            _ => "market".to_string(),
                        };
                        out.push(format!(
                            "fired {}.{} {} {} {} @{} obs={}{}",
                            l.id,
                            l.leg,
                            l.side.as_str(),
                            l.qty.normalize(),
                            order,
                            level.normalize(),
                            price.normalize(),
                            if price != level { " gapped" } else { "" }
                        ));
                    } else {
                        out.push(format!("missed {}.{} @{}", l.id, l.leg, level.normalize()));
                    }
                    let mut others: Vec<usize> = (0..self.legs.len())
                        .filter(|&o| {
                            o != i
                                && self.legs[o].id == l.id
                                && !matches!(self.legs[o].state, St::Gone | St::Spent)
                        })
                        .collect();
                    others.sort_by_key(|&o| self.legs[o].leg);
                    let primary = l.leg == 0 && l.plan == Plan::Oto;
                    if primary && self.trading {
                        self.legs[i].state = St::Spent;
                        for o in others {
                            let seq = self.next_seq();
                            let now = self.prices[l.market][self.legs[o].source];
                            let leg = &mut self.legs[o];
                            leg.seq = seq;
                            leg.state = initial_state(&leg.kind);
                            if let Kind::Trail { extreme, .. } = &mut leg.kind {
                                *extreme = now;
                            }
                            out.push(format!("armed {}.{}", l.id, leg.leg));
                            follow = true;
                        }
                        continue;
                    }
                    let oco = l.plan == Plan::Oco
                        || (l.plan == Plan::Oto
                            && others.len() == 1
                            && l.leg > 0
                            && self.has_leg(l.id, 2));
                    let reason = if primary {
                        Some("PrimaryMissed")
                    } else if oco {
                        Some(if self.trading {
                            "OcoSiblingFired"
                        } else {
                            "OcoSiblingMissed"
                        })
                    } else {
                        None
                    };
                    if let Some(reason) = reason {
                        for o in others {
                            self.legs[o].state = St::Gone;
                            out.push(format!(
                                "cancelled {}.{} {}",
                                l.id, self.legs[o].leg, reason
                            ));
                        }
                    }
                    self.legs[i].state = St::Gone;
                    let live = self
                        .legs
                        .iter()
                        .any(|o| o.id == l.id && !matches!(o.state, St::Gone | St::Spent));
                    if !live {
                        for o in &mut self.legs {
                            if o.id == l.id {
                                o.state = St::Gone;
                            }
                        }
                    }
                }
            }
        }
        follow
    }

    /// Whether trigger `id` has a leg numbered `leg` (an OTO with an OCO follow-up has leg 2).
    fn has_leg(&self, id: u128, leg: u8) -> bool {
        self.legs.iter().any(|l| l.id == id && l.leg == leg)
    }
}

fn limit_price(level: Decimal, limit: LimitPrice, buy: bool) -> Decimal {
    match limit {
        LimitPrice::Offset(o) if buy => level + o,
        LimitPrice::Offset(o) => level - o,
        LimitPrice::Price(p) => p,
    }
}

fn initial_state(k: &Kind) -> St {
    match k {
        Kind::Trail {
            activation: Some(_),
            ..
        } => St::Awaiting,
        Kind::Trail { .. } => St::Trailing,
        _ => St::Armed,
    }
}
