//! Property test: for random trigger sets (every kind, side, source and link, some on the wrong
//! side of the market), random price paths with gaps over several markets, the trading switch
//! flipping, cancels, and snapshot/restore round trips through JSON, the trigger books produce
//! exactly the events of the naive model in `model/`, in the same order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod model;

use common::*;
use model::Model;
use proptest::prelude::*;
use rust_decimal::Decimal;
use tradeward_domain::Side;
use tradeward_engine::*;

const MARKETS: [(&str, &str, &str); 3] = [
    ("BTC/USDT", "0.5", "0.001"),
    ("ETH/USDT", "0.01", "0.01"),
    ("SOL/USDT", "1", "1"),
];
const PERCENTS: [&str; 4] = ["0.5", "1", "2.5", "0.1234"];

#[derive(Debug, Clone)]
struct GenLeg {
    buy: bool,
    kind: u8,
    off: i64,
    wrong: bool,
    limit_off: i64,
    trail_amt: i64,
    pct: Option<usize>,
    activation: Option<i64>,
    source: usize,
    qty: i64,
}

#[derive(Debug, Clone)]
struct GenTrigger {
    market: usize,
    plan: u8,
    legs: [GenLeg; 3],
    alert_cond: u8,
}

#[derive(Debug, Clone)]
enum Op {
    Arm(Box<GenTrigger>),
    Move {
        market: usize,
        source: usize,
        delta: i64,
    },
    Cancel(usize),
    Trading(bool),
    Reload,
}

fn gen_leg() -> impl Strategy<Value = GenLeg> {
    (
        any::<bool>(),
        0u8..5,
        1i64..40,
        prop::bool::weighted(0.08),
        0i64..5,
        1i64..20,
        prop::option::of(0usize..4),
        prop::option::weighted(0.3, 1i64..30),
        0usize..3,
        1i64..5,
    )
        .prop_map(
            |(buy, kind, off, wrong, limit_off, trail_amt, pct, activation, source, qty)| GenLeg {
                buy,
                kind,
                off,
                wrong,
                limit_off,
                trail_amt,
                pct,
                activation,
                source,
                qty,
            },
        )
}

fn gen_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        30 => (0usize..3, 0u8..5, gen_leg(), gen_leg(), gen_leg(), 0u8..4).prop_map(
            |(market, plan, a, b, c, alert_cond)| Op::Arm(Box::new(GenTrigger {
                market,
                plan,
                legs: [a, b, c],
                alert_cond
            }))
        ),
        50 => (0usize..3, 0usize..3, -3i64..=3).prop_map(|(market, source, delta)| Op::Move {
            market,
            source,
            delta
        }),
        10 => (0usize..3, 0usize..3, -60i64..=60).prop_map(|(market, source, delta)| Op::Move {
            market,
            source,
            delta
        }),
        3 => any::<usize>().prop_map(Op::Cancel),
        4 => any::<bool>().prop_map(Op::Trading),
        2 => Just(Op::Reload),
    ]
}

struct World {
    books: TriggerBooks,
    ids: Vec<MarketId>,
    model: Model,
    ticks: Vec<Decimal>,
    steps: Vec<Decimal>,
    prices: Vec<[i64; 3]>,
    next_id: u128,
    armed: Vec<u128>,
}

impl World {
    fn new(start: &[[i64; 3]]) -> Self {
        let mut books = TriggerBooks::new();
        let mut ids = Vec::new();
        let ticks: Vec<Decimal> = MARKETS.iter().map(|m| d(m.1)).collect();
        let steps: Vec<Decimal> = MARKETS.iter().map(|m| d(m.2)).collect();
        for (sym, tick, step) in MARKETS {
            ids.push(books.add_market(key(sym), rules(tick, step, "0")).unwrap());
        }
        let mut prices_dec = Vec::new();
        for (m, p) in start.iter().enumerate() {
            let mut row = [Decimal::ZERO; 3];
            for s in 0..3 {
                let mut out = Vec::new();
                books
                    .on_price_ticks(ids[m], PriceSource::ALL[s], p[s], &mut out)
                    .unwrap();
                row[s] = ticks[m] * Decimal::from(p[s]);
            }
            prices_dec.push(row);
        }
        let model = Model::new(&MARKETS.map(|m| (m.0, d(m.1))), prices_dec);
        Self {
            books,
            ids,
            model,
            ticks,
            steps,
            prices: start.to_vec(),
            next_id: 1,
            armed: Vec::new(),
        }
    }

    fn px(&self, m: usize, t: i64) -> Decimal {
        (self.ticks[m] * Decimal::from(t)).normalize()
    }

    /// Builds leg `g` against reference price `r` (ticks); returns it and its level if fixed.
    fn leg(&self, m: usize, g: &GenLeg, r: i64) -> (Leg, Option<i64>) {
        let side = if g.buy { Side::Buy } else { Side::Sell };
        // Where the level must be for the leg to be valid: above or below the reference.
        let place = |above: bool| {
            let above = above != g.wrong;
            if above {
                r + g.off
            } else {
                r - g.off
            }
        };
        let (kind, level) = match g.kind {
            0 | 1 => {
                let lv = place(g.buy);
                let kind = if g.kind == 0 {
                    OrderKind::StopMarket {
                        stop: self.px(m, lv),
                    }
                } else {
                    OrderKind::StopLimit {
                        stop: self.px(m, lv),
                        limit: LimitPrice::Offset(self.px(m, g.limit_off)),
                    }
                };
                (kind, Some(lv))
            }
            2 | 3 => {
                let lv = place(!g.buy);
                let kind = if g.kind == 2 {
                    OrderKind::TakeProfitMarket {
                        trigger: self.px(m, lv),
                    }
                } else {
                    OrderKind::TakeProfitLimit {
                        trigger: self.px(m, lv),
                        limit: LimitPrice::Price(
                            self.px(m, lv + if g.buy { g.limit_off } else { -g.limit_off }),
                        ),
                    }
                };
                (kind, Some(lv))
            }
            _ => {
                let trail = match g.pct {
                    Some(i) => Trail::Percent(d(PERCENTS[i])),
                    None => Trail::Amount(self.px(m, g.trail_amt)),
                };
                let activation = g.activation.map(|a| {
                    let above = g.buy == g.wrong;
                    self.px(m, if above { r + a } else { r - a })
                });
                (OrderKind::TrailingStop { trail, activation }, None)
            }
        };
        let leg = Leg {
            side,
            quantity: self.steps[m] * Decimal::from(g.qty),
            source: PriceSource::ALL[g.source],
            kind,
        };
        (leg, level)
    }

    fn spec(&mut self, t: &GenTrigger) -> TriggerSpec {
        let m = t.market;
        let id = self.next_id;
        self.next_id += 1;
        let r = |g: &GenLeg| self.prices[m][g.source];
        let body = if t.plan == 4 {
            let g = &t.legs[0];
            let r = r(g);
            let lv = |above: bool| {
                self.px(
                    m,
                    if above != g.wrong {
                        r + g.off
                    } else {
                        r - g.off
                    },
                )
            };
            let condition = match t.alert_cond {
                0 => AlertCondition::Above(lv(true)),
                1 => AlertCondition::Below(lv(false)),
                2 => AlertCondition::Crossing(if g.wrong { self.px(m, r) } else { lv(g.buy) }),
                _ => AlertCondition::PercentMove {
                    percent: d(PERCENTS[g.pct.unwrap_or(1)]),
                    reference: None,
                },
            };
            TriggerBody::PriceAlert(PriceAlert {
                source: PriceSource::ALL[g.source],
                condition,
            })
        } else {
            let [a, b, c] = &t.legs;
            let plan = match t.plan {
                0 => OrderPlan::Single(self.leg(m, a, r(a)).0),
                1 => OrderPlan::Oco {
                    first: self.leg(m, a, r(a)).0,
                    second: self.leg(m, b, r(b)).0,
                },
                _ => {
                    let (primary, level) = self.leg(m, a, r(a));
                    let fr = |g: &GenLeg| level.unwrap_or(r(g));
                    let then = if t.plan == 2 {
                        FollowUp::Single(self.leg(m, b, fr(b)).0)
                    } else {
                        FollowUp::Oco {
                            first: self.leg(m, b, fr(b)).0,
                            second: self.leg(m, c, fr(c)).0,
                        }
                    };
                    OrderPlan::Oto { primary, then }
                }
            };
            TriggerBody::Order {
                credential: cred(),
                plan,
            }
        };
        TriggerSpec {
            id: tid(id),
            owner: owner(),
            market: key(MARKETS[m].0),
            client_id: id.is_multiple_of(3).then(|| format!("c{id}")),
            body,
        }
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Arm(t) => {
                let spec = self.spec(t);
                let real = self.books.arm(spec.clone());
                let naive = self.model.arm(&spec);
                prop_assert_eq!(real.is_ok(), naive.is_ok(), "arm {:?}: {:?}", spec, real);
                if real.is_ok() {
                    self.armed.push(spec.id.as_uuid().as_u128());
                }
            }
            Op::Move {
                market,
                source,
                delta,
            } => {
                let (m, s) = (*market, *source);
                let p = (self.prices[m][s] + delta).clamp(50, 5000);
                self.prices[m][s] = p;
                let mut out = Vec::new();
                self.books
                    .on_price_ticks(self.ids[m], PriceSource::ALL[s], p, &mut out)
                    .unwrap();
                let real = summary(&out);
                let naive = self.model.update(m, s, self.ticks[m] * Decimal::from(p));
                prop_assert_eq!(real, naive);
            }
            Op::Cancel(i) => {
                if !self.armed.is_empty() {
                    let id = self.armed[i % self.armed.len()];
                    let real = self.books.cancel(tid(id)).is_ok();
                    prop_assert_eq!(real, self.model.cancel(id));
                }
            }
            Op::Trading(on) => {
                self.books.set_trading(*on);
                self.model.trading = *on;
            }
            Op::Reload => {
                let json = serde_json::to_string(&self.books.snapshot()).unwrap();
                let snap: Snapshot = serde_json::from_str(&json).unwrap();
                let mut fresh = TriggerBooks::new();
                for (sym, tick, step) in MARKETS {
                    fresh.add_market(key(sym), rules(tick, step, "0")).unwrap();
                }
                fresh.set_trading(self.books.trading_enabled());
                fresh.restore(snap.clone()).unwrap();
                prop_assert_eq!(fresh.armed_legs(), self.books.armed_legs());
                let mut out = Vec::new();
                for (m, row) in self.prices.iter().enumerate() {
                    for (s, &p) in row.iter().enumerate() {
                        fresh
                            .on_price_ticks(self.ids[m], PriceSource::ALL[s], p, &mut out)
                            .unwrap();
                    }
                }
                prop_assert!(
                    out.is_empty(),
                    "restored books fired at unchanged prices: {:?}",
                    out
                );
                prop_assert_eq!(fresh.snapshot().triggers.len(), snap.triggers.len());
                self.books = fresh;
            }
        }
        prop_assert_eq!(self.books.armed_legs(), self.model.live_legs());
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn books_fire_exactly_what_the_naive_model_fires(
        start in prop::array::uniform3(prop::array::uniform3(200i64..2000)),
        ops in prop::collection::vec(gen_op(), 1..300),
    ) {
        let mut w = World::new(&start);
        for op in &ops {
            w.step(op)?;
        }
    }
}

/// Trailing stops crowd one book, so solo stops, the shared group and activations interact.
fn gen_trailing_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        30 => gen_leg().prop_map(|mut l| {
            l.kind = 4;
            l.source = 0;
            l.wrong = false;
            Op::Arm(Box::new(GenTrigger {
                market: 0,
                plan: 0,
                legs: [l.clone(), l.clone(), l],
                alert_cond: 0,
            }))
        }),
        60 => (-4i64..=4).prop_map(|delta| Op::Move { market: 0, source: 0, delta }),
        5 => (-40i64..=40).prop_map(|delta| Op::Move { market: 0, source: 0, delta }),
        3 => any::<usize>().prop_map(Op::Cancel),
        2 => Just(Op::Reload),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn crowded_trailing_stops_match_the_naive_model(
        start in prop::array::uniform3(prop::array::uniform3(200i64..2000)),
        ops in prop::collection::vec(gen_trailing_op(), 1..400),
    ) {
        let mut w = World::new(&start);
        for op in &ops {
            w.step(op)?;
        }
    }
}
