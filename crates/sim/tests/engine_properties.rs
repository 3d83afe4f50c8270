//! Property tests of the engine: random sequences of orders of every type, cancels, price
//! jumps and ticks across two accounts plus the house. After every operation the book is not
//! crossed, balances per asset are conserved exactly (fees included), free and locked never go
//! negative and locked equals what open orders need (`Engine::check_invariants`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tradeward_sim::engine::*;

#[derive(Clone, Debug)]
enum Op {
    Limit {
        acct: usize,
        buy: bool,
        off: i64,
        steps: i64,
        tif: u8,
    },
    Maker {
        acct: usize,
        buy: bool,
        off: i64,
        steps: i64,
    },
    Market {
        acct: usize,
        buy: bool,
        steps: i64,
    },
    MarketQuote {
        acct: usize,
        buy: bool,
        quote: i64,
    },
    Stop {
        acct: usize,
        buy: bool,
        kind: u8,
        stop_off: i64,
        limit_off: i64,
        steps: i64,
    },
    Cancel {
        acct: usize,
        pick: usize,
    },
    CancelAll {
        acct: usize,
    },
    Jump {
        off: i64,
    },
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    let acct = 0usize..2;
    prop_oneof![
        4 => (acct.clone(), any::<bool>(), -300i64..300, 1i64..400, 0u8..3).prop_map(|(acct, buy, off, steps, tif)| Op::Limit { acct, buy, off, steps, tif }),
        1 => (acct.clone(), any::<bool>(), -300i64..300, 1i64..400).prop_map(|(acct, buy, off, steps)| Op::Maker { acct, buy, off, steps }),
        2 => (acct.clone(), any::<bool>(), 1i64..2000).prop_map(|(acct, buy, steps)| Op::Market { acct, buy, steps }),
        1 => (acct.clone(), any::<bool>(), 1i64..50_000).prop_map(|(acct, buy, quote)| Op::MarketQuote { acct, buy, quote }),
        2 => (acct.clone(), any::<bool>(), 0u8..4, -500i64..500, -300i64..300, 1i64..400).prop_map(|(acct, buy, kind, stop_off, limit_off, steps)| Op::Stop { acct, buy, kind, stop_off, limit_off, steps }),
        2 => (acct.clone(), any::<usize>()).prop_map(|(acct, pick)| Op::Cancel { acct, pick }),
        1 => acct.prop_map(|acct| Op::CancelAll { acct }),
        2 => (-800i64..800).prop_map(|off| Op::Jump { off }),
        1 => Just(Op::Tick),
    ]
}

const SYM: &str = "ETHUSDT";
const TICK: Decimal = dec!(0.01);
const STEP: Decimal = dec!(0.001);

fn engine(random_walk: bool) -> (Engine, [AccountId; 2]) {
    let mut m = MarketConfig::new(SYM, "ETH", "USDT", dec!(100), TICK, STEP, dec!(1));
    m.max_price = dec!(100000);
    let mut cfg = EngineConfig::new(42, vec![m]);
    cfg.house.levels = 4;
    cfg.house.min_level_notional = dec!(10);
    cfg.house.max_level_notional = dec!(80);
    cfg.house.balance_per_asset = dec!(1000000);
    if random_walk {
        cfg.price_process = PriceProcess::RandomWalk {
            volatility: dec!(0.01),
        };
    }
    let mut e = Engine::new(cfg).unwrap();
    let a = e
        .add_account("a", &[("USDT", dec!(500)), ("ETH", dec!(5))])
        .unwrap();
    let b = e
        .add_account("b", &[("USDT", dec!(300)), ("ETH", dec!(3))])
        .unwrap();
    (e, [a, b])
}

fn apply(e: &mut Engine, accts: [AccountId; 2], op: &Op, now: u64) {
    let last = e.last_price(SYM).unwrap();
    let px = |off: i64| (last + TICK * Decimal::from(off)).max(TICK);
    let side = |buy: bool| if buy { Side::Buy } else { Side::Sell };
    match *op {
        Op::Limit {
            acct,
            buy,
            off,
            steps,
            tif,
        } => {
            let tif = [TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok][tif as usize];
            let o = NewOrder::limit(SYM, side(buy), STEP * Decimal::from(steps), px(off)).tif(tif);
            let _ = e.place_order(accts[acct], &o, now);
        }
        Op::Maker {
            acct,
            buy,
            off,
            steps,
        } => {
            let mut o = NewOrder::limit(SYM, side(buy), STEP * Decimal::from(steps), px(off));
            o.order_type = OrderType::LimitMaker;
            o.time_in_force = None;
            let _ = e.place_order(accts[acct], &o, now);
        }
        Op::Market { acct, buy, steps } => {
            let _ = e.place_order(
                accts[acct],
                &NewOrder::market(SYM, side(buy), STEP * Decimal::from(steps)),
                now,
            );
        }
        Op::MarketQuote { acct, buy, quote } => {
            let _ = e.place_order(
                accts[acct],
                &NewOrder::market_quote(SYM, side(buy), Decimal::new(quote, 2)),
                now,
            );
        }
        Op::Stop {
            acct,
            buy,
            kind,
            stop_off,
            limit_off,
            steps,
        } => {
            let t = [
                OrderType::StopLoss,
                OrderType::StopLossLimit,
                OrderType::TakeProfit,
                OrderType::TakeProfitLimit,
            ][kind as usize];
            let mut o = NewOrder::market(SYM, side(buy), STEP * Decimal::from(steps));
            o.order_type = t;
            o.stop_price = Some(px(stop_off));
            if t.has_limit_price() {
                o.price = Some(px(limit_off));
                o.time_in_force = Some(TimeInForce::Gtc);
            }
            let _ = e.place_order(accts[acct], &o, now);
        }
        Op::Cancel { acct, pick } => {
            let open = e.open_orders(accts[acct], Some(SYM)).unwrap();
            if !open.is_empty() {
                let o = open[pick % open.len()];
                let (c, _) = e
                    .cancel_order(accts[acct], SYM, &OrderRef::Id(o.order_id), None, now)
                    .unwrap();
                assert_eq!(c.status, OrderStatus::Canceled);
            }
        }
        Op::CancelAll { acct } => {
            let _ = e.cancel_all(accts[acct], SYM, now);
            assert!(e.open_orders(accts[acct], Some(SYM)).unwrap().is_empty());
        }
        Op::Jump { off } => {
            e.trade_at(SYM, px(off), now).unwrap();
        }
        Op::Tick => {
            e.tick(now);
        }
    }
}

fn run(ops: &[Op], random_walk: bool) -> Result<(), TestCaseError> {
    let (mut e, accts) = engine(random_walk);
    let totals = e.total_by_asset();
    e.check_invariants().map_err(TestCaseError::fail)?;
    for (i, op) in ops.iter().enumerate() {
        apply(&mut e, accts, op, 1_000 + i as u64 * 1000);
        if let Err(msg) = e.check_invariants() {
            return Err(TestCaseError::fail(format!("after op {i} {op:?}: {msg}")));
        }
        prop_assert_eq!(
            &e.total_by_asset(),
            &totals,
            "conservation broken after op {} {:?}",
            i,
            op
        );
    }
    // Snapshot/restore keeps the full state.
    let json = serde_json::to_string(&e).map_err(|err| TestCaseError::fail(err.to_string()))?;
    let back: Engine =
        serde_json::from_str(&json).map_err(|err| TestCaseError::fail(err.to_string()))?;
    prop_assert_eq!(back.total_by_asset(), totals);
    for a in accts {
        prop_assert_eq!(
            back.open_orders(a, None).unwrap(),
            e.open_orders(a, None).unwrap()
        );
        prop_assert_eq!(back.balances(a), e.balances(a));
    }
    Ok(())
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=2000 (or more) for a deeper local run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_static(ops in prop::collection::vec(op(), 1..60)) {
        run(&ops, false)?;
    }

    #[test]
    fn invariants_hold_random_walk(ops in prop::collection::vec(op(), 1..60)) {
        run(&ops, true)?;
    }
}

/// The generated operations must actually exercise the engine: fills, rests, stops firing and
/// rejections all occur over a fixed long sequence.
#[test]
fn generated_operations_exercise_the_engine() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let ops: Vec<Op> = (0..3000)
        .map(|_| op().new_tree(&mut runner).unwrap().current())
        .collect();
    let (mut e, accts) = engine(false);
    let mut trades = 0;
    let mut stops_fired = 0;
    let mut rejects = 0;
    for (i, op) in ops.iter().enumerate() {
        let before: Vec<_> = accts
            .iter()
            .map(|a| e.open_orders(*a, None).unwrap())
            .collect();
        let pending: Vec<u64> = before
            .iter()
            .flatten()
            .filter(|o| !o.is_working)
            .map(|o| o.order_id)
            .collect();
        apply(&mut e, accts, op, 1_000 + i as u64);
        for a in accts {
            for t in e
                .my_trades(a, SYM, None, Some(1_000 + i as u64), None, 1000)
                .unwrap()
            {
                trades += 1;
                if pending.contains(&t.order_id) {
                    stops_fired += 1;
                }
            }
        }
        if let Op::Limit {
            acct,
            buy,
            off,
            steps,
            ..
        } = *op
        {
            let last = e.last_price(SYM).unwrap();
            let o = NewOrder::limit(
                SYM,
                if buy { Side::Buy } else { Side::Sell },
                STEP * Decimal::from(steps),
                (last + TICK * Decimal::from(off)).max(TICK),
            );
            if e.test_order(accts[acct], &o).is_err() {
                rejects += 1;
            }
        }
    }
    assert!(trades > 200, "only {trades} user fills");
    assert!(stops_fired > 5, "only {stops_fired} stop fills");
    assert!(rejects > 5, "only {rejects} rejections");
}
