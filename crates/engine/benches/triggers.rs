//! Trigger evaluation with 1,000,000 armed triggers over 1,000 markets.
//!
//! Setup: 1,000 markets (tick 0.01, step 0.001), every source starting at 100.00. One million
//! triggers: 86% single orders, 4% OCO pairs, 4% brackets (entry + OCO follow-up), 6% price
//! alerts (above/below/percent move); each order leg a stop (60%, market or limit), a
//! take-profit (20%) or a trailing stop (20%: amount or percent, a third with activation
//! prices); on the last trade (70%), bid or ask; levels 1 to 3,000 ticks (30%) from the price on
//! the side that makes them valid.
//!
//! Updates: a precomputed path of random (market, source) price moves, ±1-3 ticks, 1% gaps of
//! 20-100 ticks, applied to the current prices (a walk kept within ±15% of the start). Most
//! cross nothing; some fire a few triggers. Every fired trigger is replaced
//! at once by a fresh one (so the book stays at ~1M and the walk keeps finding triggers); that
//! arming cost is inside the measured time.
//!
//! A second scenario arms one million single trailing stops (amount and percent, a third with
//! activation prices): every new high or low moves stops, the case the shared-extreme groups in
//! `side_book.rs` are for.
//!
//! Before timing, one unmeasured pass over the path lets the walk fire (and replace) the first
//! triggers it meets, so the timed updates see the steady state.
//!
//! Memory: a counting global allocator measures the heap the books hold after arming, minus the
//! heap before (markets registered), divided by the number of triggers (and of legs).
//!
//! Setup failures panic (`expect`): a bench has no caller to report an error to.
//!
//! Run: `cargo bench -p tradeward-engine --bench triggers -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use tradeward_domain::{CredentialId, Side, UserId, Venue};
use tradeward_engine::*;
use uuid::Uuid;

/// Counts live heap bytes; delegates every call to the system allocator.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// GlobalAlloc contract is System's; the only addition is an atomic counter update.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const MARKETS: usize = 1_000;
const TRIGGERS: usize = 1_000_000;
const START: i64 = 10_000;
const PATH: usize = 1 << 20;

fn dec(ticks: i64) -> Decimal {
    Decimal::new(ticks, 2)
}

struct Gen {
    rng: ChaCha8Rng,
    next_id: u128,
    owner: UserId,
    cred: CredentialId,
    keys: Vec<MarketKey>,
    /// Only single trailing stops (the scenario that stresses new extremes).
    trailing_only: bool,
}

impl Gen {
    fn source(&mut self) -> PriceSource {
        match self.rng.gen_range(0..10) {
            0..=6 => PriceSource::Last,
            7 | 8 => PriceSource::Bid,
            _ => PriceSource::Ask,
        }
    }

    /// A level `dist` ticks above or below `r`.
    fn at(r: i64, above: bool, dist: i64) -> i64 {
        if above {
            r + dist
        } else {
            (r - dist).max(1)
        }
    }

    fn leg(&mut self, books: &TriggerBooks, m: MarketId, reference: Option<i64>) -> (Leg, i64) {
        let source = self.source();
        let r = reference.unwrap_or_else(|| now(books, m, source));
        let buy = self.rng.gen_bool(0.5);
        let side = if buy { Side::Buy } else { Side::Sell };
        let dist = self.rng.gen_range(1..3_000);
        let roll = if self.trailing_only {
            self.rng.gen_range(80..100)
        } else {
            self.rng.gen_range(0..100)
        };
        let (kind, level) = if roll < 60 {
            let lv = Self::at(r, buy, dist);
            let kind = if roll < 40 {
                OrderKind::StopMarket { stop: dec(lv) }
            } else {
                OrderKind::StopLimit {
                    stop: dec(lv),
                    limit: LimitPrice::Offset(dec(self.rng.gen_range(0..50))),
                }
            };
            (kind, lv)
        } else if roll < 80 {
            let lv = Self::at(r, !buy, dist);
            let kind = if roll < 70 {
                OrderKind::TakeProfitMarket { trigger: dec(lv) }
            } else {
                OrderKind::TakeProfitLimit {
                    trigger: dec(lv),
                    limit: LimitPrice::Offset(dec(self.rng.gen_range(0..50))),
                }
            };
            (kind, lv)
        } else {
            let trail = if self.rng.gen_bool(0.5) {
                Trail::Amount(dec(self.rng.gen_range(5..500)))
            } else {
                Trail::Percent(Decimal::new(self.rng.gen_range(5..500), 2))
            };
            let activation = self
                .rng
                .gen_bool(0.33)
                .then(|| dec(Self::at(r, !buy, dist)));
            (OrderKind::TrailingStop { trail, activation }, r)
        };
        let leg = Leg {
            side,
            quantity: Decimal::new(self.rng.gen_range(1..1000), 3),
            source,
            kind,
        };
        (leg, level)
    }

    fn spec(&mut self, books: &TriggerBooks, m: MarketId) -> TriggerSpec {
        self.next_id += 1;
        let id = TriggerId::from_uuid(Uuid::from_u128(self.next_id));
        let roll = if self.trailing_only {
            99
        } else {
            self.rng.gen_range(0..100)
        };
        let body = if roll < 6 {
            let source = self.source();
            let r = now(books, m, source);
            let dist = self.rng.gen_range(1..3_000);
            let condition = match roll {
                0 | 1 => AlertCondition::Above(dec(r + dist)),
                2 | 3 => AlertCondition::Below(dec((r - dist).max(1))),
                _ => AlertCondition::PercentMove {
                    percent: Decimal::new(self.rng.gen_range(1..30), 0),
                    reference: None,
                },
            };
            TriggerBody::PriceAlert(PriceAlert { source, condition })
        } else {
            let plan = if roll < 10 {
                let first = self.leg(books, m, None).0;
                let second = self.leg(books, m, None).0;
                OrderPlan::Oco { first, second }
            } else if roll < 14 {
                let (primary, level) = self.leg(books, m, None);
                let first = self.leg(books, m, Some(level)).0;
                let second = self.leg(books, m, Some(level)).0;
                OrderPlan::Oto {
                    primary,
                    then: FollowUp::Oco { first, second },
                }
            } else {
                OrderPlan::Single(self.leg(books, m, None).0)
            };
            TriggerBody::Order {
                credential: self.cred,
                plan,
            }
        };
        TriggerSpec {
            id,
            owner: self.owner,
            market: self.keys[m.index()].clone(),
            client_id: None,
            body,
        }
    }

    /// Arms a random valid trigger (retrying the rare one the generator got wrong, e.g. a
    /// follow-up on the wrong side of a trailing primary).
    fn arm_one(&mut self, books: &mut TriggerBooks, m: MarketId) {
        for _ in 0..20 {
            let spec = self.spec(books, m);
            if books.arm(spec).is_ok() {
                return;
            }
        }
    }
}

fn now(books: &TriggerBooks, m: MarketId, s: PriceSource) -> i64 {
    books
        .price(m, s)
        .and_then(|p| books.to_ticks(m, p).ok())
        .unwrap_or(START)
}

fn build(trailing_only: bool) -> (TriggerBooks, Gen, Vec<MarketId>) {
    let mut books = TriggerBooks::new();
    let mut keys = Vec::new();
    let mut ids = Vec::new();
    for i in 0..MARKETS {
        let key = MarketKey {
            venue: Venue::Sim,
            symbol: format!("C{i}/USDT").parse().expect("valid symbol"),
        };
        let rules = MarketRules {
            tick_size: Decimal::new(1, 2),
            step_size: Decimal::new(1, 3),
            min_notional: Decimal::ZERO,
        };
        let m = books.add_market(key.clone(), rules).expect("new market");
        for s in PriceSource::ALL {
            books
                .on_price_ticks(m, s, START, &mut Vec::new())
                .expect("valid price");
        }
        keys.push(key);
        ids.push(m);
    }
    let g = Gen {
        rng: ChaCha8Rng::seed_from_u64(7),
        next_id: 0,
        owner: UserId::from_uuid(Uuid::from_u128(1)),
        cred: CredentialId::from_uuid(Uuid::from_u128(2)),
        keys,
        trailing_only,
    };
    (books, g, ids)
}

/// The update path: (market, source, move in ticks). Moves, not prices: the loop applies them
/// to the current prices (reflecting at ±1,500 ticks from the start), so cycling through the
/// path keeps wandering over the armed levels instead of replaying the same prices.
fn path(ids: &[MarketId]) -> Vec<(MarketId, PriceSource, i64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    (0..PATH)
        .map(|_| {
            let m = rng.gen_range(0..ids.len());
            let s = match rng.gen_range(0..10) {
                0..=5 => 0,
                6 | 7 => 1,
                _ => 2,
            };
            let step = if rng.gen_bool(0.01) {
                rng.gen_range(20..100)
            } else {
                rng.gen_range(1..4)
            };
            let delta = if rng.gen_bool(0.5) { step } else { -step };
            (ids[m], PriceSource::ALL[s], delta)
        })
        .collect()
}

/// Applies a move to the current price, reflecting at the band's edges.
#[inline]
fn apply(prices: &mut [[i64; 3]], m: MarketId, s: PriceSource, delta: i64) -> i64 {
    let p = &mut prices[m.index()][s as usize];
    let next = *p + delta;
    *p = if (START - 1_500..=START + 1_500).contains(&next) {
        next
    } else {
        *p - delta
    };
    *p
}

fn bench(c: &mut Criterion) {
    scenario(c, "mixed", false);
    scenario(c, "trailing_only", true);
}

fn scenario(c: &mut Criterion, name: &str, trailing_only: bool) {
    let base = LIVE.load(Ordering::Relaxed);
    let (mut books, mut g, ids) = build(trailing_only);
    let markets_heap = LIVE.load(Ordering::Relaxed) - base;
    let before = LIVE.load(Ordering::Relaxed);
    let t0 = Instant::now();
    for i in 0..TRIGGERS {
        g.arm_one(&mut books, ids[i % MARKETS]);
    }
    let arm_time = t0.elapsed();
    let heap = (LIVE.load(Ordering::Relaxed) - before) as f64;
    let legs = books.armed_legs();
    println!(
        "[{name}] armed {TRIGGERS} triggers ({legs} legs) over {MARKETS} markets in {:.2} s; \
         heap held by the triggers: {:.1} MiB = {:.1} bytes/trigger, {:.1} bytes/leg \
         (markets alone: {:.1} KiB)",
        arm_time.as_secs_f64(),
        heap / (1 << 20) as f64,
        heap / TRIGGERS as f64,
        heap / legs as f64,
        markets_heap as f64 / 1024.0
    );

    let updates = path(&ids);
    let mut prices = vec![[START; 3]; MARKETS];
    let mut out = Vec::with_capacity(64);
    let mut cursor = 0usize;
    let mut fired = 0u64;
    let mut done = 0u64;
    let mut rearm = Duration::ZERO;
    let mut total = Duration::ZERO;
    // Settle: one pass over the path, unmeasured, so the triggers the walk meets first (armed
    // all at once, at distances from one start price) are fired and replaced before timing.
    for &(m, s, delta) in &updates {
        let p = apply(&mut prices, m, s, delta);
        out.clear();
        books
            .on_price_ticks(m, s, p, &mut out)
            .expect("valid price");
        if !out.is_empty() {
            while books.armed_legs() < legs {
                g.arm_one(&mut books, m);
            }
        }
    }
    let mut group = c.benchmark_group(format!("{name}_1M_over_1000_markets"));
    group.throughput(Throughput::Elements(1));
    group.bench_function("price_update_ticks_with_rearm", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            let start = Instant::now();
            for _ in 0..iters {
                let (m, s, delta) = updates[cursor];
                cursor = (cursor + 1) % updates.len();
                let p = apply(&mut prices, m, s, delta);
                out.clear();
                books
                    .on_price_ticks(m, s, p, &mut out)
                    .expect("valid price");
                if !out.is_empty() {
                    for e in &out {
                        if matches!(e, Event::Fired(_) | Event::Missed(_) | Event::Alert(_)) {
                            fired += 1;
                        }
                    }
                    // Keep the book full: replace what fired (timed apart, see below).
                    let t = Instant::now();
                    while books.armed_legs() < legs {
                        g.arm_one(&mut books, m);
                    }
                    rearm += t.elapsed();
                }
                done += 1;
            }
            spent += start.elapsed();
            total += spent;
            black_box(&out);
            spent
        })
    });
    println!(
        "[{name}] {done} updates, {fired} legs fired ({:.3} per update, each replaced by a new trigger), legs armed now {}",
        fired as f64 / done.max(1) as f64,
        books.armed_legs()
    );
    let updates_only = total.saturating_sub(rearm);
    println!(
        "[{name}] re-arming took {:.1}% of the time; price updates alone: {:.1} ns each = {:.1} M updates/s",
        100.0 * rearm.as_secs_f64() / total.as_secs_f64().max(1e-9),
        updates_only.as_secs_f64() * 1e9 / done.max(1) as f64,
        done as f64 / updates_only.as_secs_f64().max(1e-9) / 1e6
    );
    let mut dcursor = 0usize;
    group.bench_function("price_update_decimal_with_rearm", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let (m, s, delta) = updates[dcursor];
                dcursor = (dcursor + 1) % updates.len();
                // Building the Decimal is part of the measured cost, as it would be for a
                // feed handler that parsed one.
                let p = dec(apply(&mut prices, m, s, delta));
                out.clear();
                books.on_price(m, s, p, &mut out).expect("valid price");
                if !out.is_empty() {
                    while books.armed_legs() < legs {
                        g.arm_one(&mut books, m);
                    }
                }
            }
            start.elapsed()
        })
    });
    group.finish();
    // The books after the run (trailing stops grouped, slots and groups reused): drop the
    // bench's own buffers and count what is left against the same baseline.
    drop((updates, prices, out));
    let heap_after = (LIVE.load(Ordering::Relaxed) - before) as f64;
    println!(
        "[{name}] heap held after the run: {:.1} MiB = {:.1} bytes/trigger armed",
        heap_after / (1 << 20) as f64,
        heap_after / TRIGGERS as f64
    );
    drop(books);
}

criterion_group!(benches, bench);
criterion_main!(benches);
