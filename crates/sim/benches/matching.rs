//! Matching throughput: orders per second through the engine, in process, one core.
//!
//! The measured work is the engine's real public path: `place_order_into` (validation,
//! balance locking, matching, fees, settlement, events) and `cancel_order_into`, plus the
//! house's `tick_into` every 64 operations (it tops up the quotes takers ate). Events and
//! fills go to buffers the bench clears and reuses, as a server loop would.
//!
//! The mix is a steady state, like a venue in the middle of a trading day: the number of open
//! orders stays around [`OPEN_TARGET`] (20,000 user orders, a deep but ordinary book) instead
//! of growing for ever, so the figure does not depend on how long the bench runs. Each round
//! of [`OPS`] operations is a shuffled deck with exact counts, per 100 operations:
//! - 35 LIMIT GTC orders that rest 3.00–6.99 USDT behind the touch of their own side (400
//!   price levels per side, interleaved with the house ladder);
//! - 35 cancels, each of a uniformly random order among those this bench placed and has not
//!   cancelled yet (traders cancel about as often as they rest, which is what keeps the book
//!   steady; should crossing flow have filled the target meanwhile, the cancel gets -2011
//!   like on a real venue, and the bench counts those: with this mix the house ladder in
//!   front absorbs nearly all takers, so it is a few dozen per million operations and the
//!   book holds ~19,900–20,000 open user orders throughout);
//! - 18 LIMIT IOC orders that cross the spread (limit 100 USDT through the touch);
//! - 12 small MARKET orders.
//!
//! Sides are random, quantities 0.0002–0.0199 BTC (all above the 5 USDT minimum notional).
//! Before measuring, the book is filled with [`OPEN_TARGET`] resting orders through the same
//! `place_order` path and the script runs [`WARM_UP_ROUNDS`] times, so the per-account
//! histories sit at their caps; one engine then runs the whole measurement. Rests and
//! cancels come in equal numbers per round, so the set of orders the bench tracks stays at
//! exactly [`OPEN_TARGET`].
//!
//! `cargo bench -p tradeward-sim --bench matching -- --warm-up-time 1 --measurement-time 3`
//!
//! For instruction counts (steadier than time on a shared machine), set
//! `MATCHING_PROFILE_ROUNDS=<n>`: the binary then fills the book and warms up, runs `n`
//! rounds without criterion and prints what it did, with orders/s by wall clock and by the
//! thread's CPU time (the per-core figure when other work shares the cores), e.g.
//! `valgrind --tool=cachegrind --cache-sim=no target/release/deps/matching-<hash>`; the
//! difference between two runs (n and 0 rounds) divided by `n × OPS` is instructions per order.

#![allow(clippy::expect_used)] // a bench with a broken fixed setup should stop at once

use criterion::{criterion_group, Criterion, Throughput};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::hint::black_box;
use tradeward_sim::engine::*;

const SYM: &str = "BTCUSDT";
/// Operations per measured round.
const OPS: usize = 10_000;
/// Open user orders the steady state keeps.
const OPEN_TARGET: usize = 20_000;

#[derive(Clone, Copy)]
enum Kind {
    Rest,
    Cancel,
    Ioc,
    Market,
}

enum Op {
    Place(NewOrder),
    /// Cancel the tracked order at this index (modulo the tracked count).
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

fn side(rng: &mut ChaCha8Rng) -> Side {
    if rng.gen_bool(0.5) {
        Side::Buy
    } else {
        Side::Sell
    }
}

fn qty(rng: &mut ChaCha8Rng) -> Decimal {
    Decimal::new(rng.gen_range(2..200), 5) * dec!(10)
}

fn resting(rng: &mut ChaCha8Rng) -> NewOrder {
    let side = side(rng);
    let qty = qty(rng);
    // 3.00..6.99 USDT behind the touch of its own side.
    let off = Decimal::new(rng.gen_range(300..700), 2);
    let price = match side {
        Side::Buy => dec!(49990) - off,
        Side::Sell => dec!(50010) + off,
    };
    NewOrder::limit(SYM, side, qty, price)
}

fn script(rng: &mut ChaCha8Rng) -> Vec<Op> {
    let per_100 = [
        (Kind::Rest, 35),
        (Kind::Cancel, 35),
        (Kind::Ioc, 18),
        (Kind::Market, 12),
    ];
    let mut deck: Vec<Kind> = per_100
        .iter()
        .flat_map(|&(k, n)| std::iter::repeat_n(k, n * OPS / 100))
        .collect();
    deck.shuffle(rng);
    deck.into_iter()
        .map(|k| match k {
            Kind::Rest => Op::Place(resting(rng)),
            Kind::Cancel => Op::Cancel(rng.gen_range(0..usize::MAX / 2)),
            Kind::Ioc => {
                let side = side(rng);
                let price = match side {
                    Side::Buy => dec!(50100),
                    Side::Sell => dec!(49900),
                };
                Op::Place(NewOrder::limit(SYM, side, qty(rng), price).tif(TimeInForce::Ioc))
            }
            Kind::Market => {
                let side = side(rng);
                Op::Place(NewOrder::market(SYM, side, qty(rng)))
            }
        })
        .collect()
}

struct State {
    e: Engine,
    accts: [AccountId; 2],
    /// Orders this bench placed that rested and that it has not cancelled.
    tracked: Vec<(AccountId, u64)>,
    clock: u64,
    /// Cancels answered -2011 (the order had been filled meanwhile).
    unknown_cancels: u64,
    /// Reused output buffers, as a server loop would keep them.
    out: Output,
}

impl State {
    fn new(rng: &mut ChaCha8Rng) -> State {
        let (e, accts) = setup();
        let mut st = State {
            e,
            accts,
            tracked: Vec::with_capacity(OPEN_TARGET + OPS),
            clock: 1_000,
            unknown_cancels: 0,
            out: Output::default(),
        };
        let mut i = 0;
        while st.tracked.len() < OPEN_TARGET {
            let o = resting(rng);
            st.place(i, &o);
            i += 1;
        }
        st
    }

    fn place(&mut self, i: usize, o: &NewOrder) -> usize {
        let acct = self.accts[i & 1];
        self.clock += 1;
        self.out.clear();
        match self.e.place_order_into(acct, o, self.clock, &mut self.out) {
            Ok(order) => {
                if order.status.is_open() {
                    self.tracked.push((acct, order.order_id));
                }
                self.out.events.len()
            }
            Err(_) => 0,
        }
    }

    fn run(&mut self, ops: &[Op]) -> usize {
        let mut events = 0;
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Place(o) => events += self.place(i, o),
                Op::Cancel(k) => {
                    self.clock += 1;
                    if !self.tracked.is_empty() {
                        let (a, id) = self.tracked.swap_remove(k % self.tracked.len());
                        let ev = &mut self.out.events;
                        ev.clear();
                        match self.e.cancel_order_into(
                            a,
                            SYM,
                            &OrderRef::Id(id),
                            None,
                            self.clock,
                            ev,
                        ) {
                            Ok(_) => events += ev.len(),
                            Err(_) => self.unknown_cancels += 1,
                        }
                    }
                }
            }
            if i % 64 == 63 {
                self.out.events.clear();
                self.e.tick_into(self.clock, &mut self.out.events);
                events += self.out.events.len();
            }
        }
        events
    }

    fn open_user_orders(&self) -> usize {
        self.accts
            .iter()
            .map(|a| self.e.open_orders(*a, Some(SYM)).map_or(0, |v| v.len()))
            .sum()
    }
}

/// Rounds run before measuring, so that the per-account histories (10,000 closed orders and
/// 10,000 fills per account and market) have reached their caps: each round closes ~3,250
/// orders and records ~2,000 fills per account.
const WARM_UP_ROUNDS: usize = 8;

/// A filled book, the script, and the engine run through [`WARM_UP_ROUNDS`] rounds of it.
fn warmed_up(rng: &mut ChaCha8Rng) -> (State, Vec<Op>) {
    let mut st = State::new(rng);
    let ops = script(rng);
    for _ in 0..WARM_UP_ROUNDS {
        st.run(&ops);
    }
    (st, ops)
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (mut st, ops) = warmed_up(&mut rng);
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(OPS as u64));
    g.bench_function("mixed_orders", |b| b.iter(|| black_box(st.run(&ops))));
    g.finish();
    // BENCHMARKS.md's same-run baseline: a bare HMAC-SHA256 of a Binance order payload, hex
    // encoded (what the signer benchmarks compare against), so figures from runs under
    // different machine load can be compared as ratios.
    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Elements(1));
    g.bench_function("bare_hmac_sha256", |b| b.iter(|| black_box(bare_hmac())));
    g.finish();
    eprintln!(
        "open user orders at the end: {} (tracked {}), cancels of filled orders: {}",
        st.open_user_orders(),
        st.tracked.len(),
        st.unknown_cancels
    );
}

/// A bare HMAC-SHA256 of a signed Binance LIMIT order's payload, hex encoded.
fn bare_hmac() -> String {
    use hmac::{Hmac, Mac};
    const PAYLOAD: &[u8] =
        b"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000000\
        &price=50000.00&recvWindow=5000&timestamp=1700000000000";
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(black_box(b"bench-secret-key-of-64-bytes-"))
        .expect("HMAC takes keys of any length");
    mac.update(black_box(PAYLOAD));
    hex::encode(mac.finalize().into_bytes())
}

criterion_group!(benches, bench);

fn main() {
    if let Some(rounds) = std::env::var("MATCHING_PROFILE_ROUNDS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let (mut st, ops) = warmed_up(&mut rng);
        let mut events = 0;
        let (wall0, cpu0) = (std::time::Instant::now(), thread_cpu_ns());
        for _ in 0..rounds {
            events += st.run(black_box(&ops));
        }
        let (wall, cpu) = (wall0.elapsed().as_secs_f64(), thread_cpu_ns());
        let orders = (rounds * OPS) as f64;
        println!(
            "{rounds} rounds of {OPS} ops: {events} events, open user orders {}, tracked {}, \
             cancels of filled orders {}",
            st.open_user_orders(),
            st.tracked.len(),
            st.unknown_cancels
        );
        if rounds > 0 {
            println!("wall clock: {:.0} orders/s ({wall:.3} s)", orders / wall);
            if let (Some(c0), Some(c1)) = (cpu0, cpu) {
                let secs = (c1 - c0) as f64 / 1e9;
                println!(
                    "thread CPU time: {:.0} orders per CPU-second ({secs:.3} s on a core)",
                    orders / secs
                );
            }
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

/// CPU time this thread has run (ns), from `/proc/thread-self/schedstat` (Linux): on a
/// machine whose cores are shared with other work, orders per CPU-second is the per-core
/// throughput, where wall-clock time also counts the time the scheduler gave to others.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}
