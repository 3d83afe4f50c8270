//! Matching throughput: orders per second through the engine, in process, one core.
//!
//! The mix per 100 operations: 40 LIMIT GTC orders that rest near the touch, 30 cancels of
//! resting orders, 18 LIMIT IOC orders that cross the spread, 12 small MARKET orders; the
//! static house re-quotes every 64 operations when its quotes were eaten (`tick`). One engine
//! runs the whole measurement (steady state: histories at their caps, a deep book), so the
//! figure is sustained throughput, not a cold start. Run with
//! `cargo bench -p tradeward-sim --bench matching -- --warm-up-time 1 --measurement-time 3`.

#![allow(clippy::expect_used)] // a bench with a broken fixed setup should stop at once

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::hint::black_box;
use tradeward_sim::engine::*;

const SYM: &str = "BTCUSDT";
const OPS: usize = 10_000;

enum Op {
    Place(NewOrder),
    Cancel(usize),
}

fn setup() -> (Engine, [AccountId; 2]) {
    let m = MarketConfig::new(
        SYM,
        "BTC",
        "USDT",
        dec!(50000),
        dec!(0.01),
        dec!(0.00001),
        dec!(5),
    );
    let mut cfg = EngineConfig::new(1, vec![m]);
    cfg.house.levels = 20;
    let mut e = Engine::new(cfg).expect("valid config");
    let big = [("USDT", dec!(1000000000000)), ("BTC", dec!(100000000))];
    let a = e.add_account("a", &big).expect("new label");
    let b = e.add_account("b", &big).expect("new label");
    (e, [a, b])
}

fn script() -> Vec<Op> {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut ops = Vec::with_capacity(OPS);
    for i in 0..OPS {
        let side = if rng.gen_bool(0.5) {
            Side::Buy
        } else {
            Side::Sell
        };
        let qty = Decimal::new(rng.gen_range(1..200), 5) * dec!(10);
        let r = rng.gen_range(0..100);
        let op = if r < 40 {
            // Rests 1..40 ticks behind the touch of its own side.
            let off = Decimal::new(rng.gen_range(300..700), 2);
            let price = match side {
                Side::Buy => dec!(49990) - off,
                Side::Sell => dec!(50010) + off,
            };
            Op::Place(NewOrder::limit(SYM, side, qty, price))
        } else if r < 70 {
            Op::Cancel(i)
        } else if r < 88 {
            let price = match side {
                Side::Buy => dec!(50100),
                Side::Sell => dec!(49900),
            };
            Op::Place(NewOrder::limit(SYM, side, qty, price).tif(TimeInForce::Ioc))
        } else {
            Op::Place(NewOrder::market(SYM, side, qty))
        };
        ops.push(op);
    }
    ops
}

struct State {
    e: Engine,
    accts: [AccountId; 2],
    resting: Vec<(AccountId, u64)>,
    clock: u64,
}

fn run(st: &mut State, ops: &[Op]) -> usize {
    let State {
        e,
        accts,
        resting,
        clock,
    } = st;
    let accts = *accts;
    let mut events = 0;
    for (i, op) in ops.iter().enumerate() {
        let acct = accts[i & 1];
        *clock += 1;
        let now = *clock;
        match op {
            Op::Place(o) => {
                if let Ok(r) = e.place_order(acct, o, now) {
                    events += r.events.len();
                    if r.order.status.is_open() {
                        resting.push((acct, r.order.order_id));
                    }
                }
            }
            Op::Cancel(k) => {
                if !resting.is_empty() {
                    let (a, id) = resting.swap_remove(k % resting.len());
                    if let Ok((_, ev)) = e.cancel_order(a, SYM, &OrderRef::Id(id), now) {
                        events += ev.len();
                    }
                }
            }
        }
        if i % 64 == 63 {
            events += e.tick(now).len();
        }
    }
    events
}

fn bench(c: &mut Criterion) {
    let ops = script();
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(OPS as u64));
    let (e, accts) = setup();
    let mut st = State {
        e,
        accts,
        resting: Vec::new(),
        clock: 1_000,
    };
    g.bench_function("mixed_orders", |b| b.iter(|| black_box(run(&mut st, &ops))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
