//! Tick-to-order latency measured at the exchange: with 100,000 armed triggers, the time from
//! the sim's market event (a trade through a stop) to the sim receiving the engine's order.
//!
//! `cargo bench -p tradeward-engine --bench tick_to_order`
//! (env: `TTO_ARMED`, default 100000 armed triggers in all; `TTO_FIRES`, default 300 stops
//! fired one per move; `TTO_PACE_MS`, default 100 between moves).
//!
//! Set-up (the end-to-end tests' world, `tests/sim_world`): the real sim in-process on
//! 127.0.0.1:0, spoken to over HTTP and WebSocket only; a real signer holding the sim
//! account's key; the engine service on SQLite in a temp dir; one tokio runtime with two
//! workers shared by sim, engine and this driver (a 2-core machine).
//!
//! 1. The engine watches BTC/USDT at 50000 and arms `TTO_ARMED - TTO_FIRES` stop-market
//!    triggers far from the price (sell stops from 40000 down, buy stops from 60000 up, 0.01
//!    apart, so they stay armed in the same book the moves go through) and `TTO_FIRES` sell
//!    stops at 49990, 49980, ... (10 apart), each through `EngineService::arm` (durable before
//!    acknowledged, one store write each).
//! 2. Moves the price down with `POST /sim/v1/trade` to 49985, 49975, ...: each move
//!    crosses exactly one new stop, which fires one market sell. Stops are 10 apart because
//!    that sell fills the sim's first house bid (0.5 bp, 2.5 below the price) and its print
//!    must not cross the next stop. Moves are `TTO_PACE_MS`
//!    apart so none queues behind the previous fire's follow-up work (order ack, user
//!    stream, the sim's ladder top-up).
//! 3. Reads `GET /sim/v1/orders` and reports p50/p99/max of `received_at_us -
//!    market_event_at_us` over the orders received. As a cross-check it also reports the
//!    latency from just before the driver's trade request (same system clock) to arrival,
//!    which bounds the first from above (it adds the control-plane HTTP round trip), and
//!    counts orders whose market event is not the driver's trade (a sim event in between).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench with a broken setup stops at once

#[path = "../tests/sim_world/mod.rs"]
mod sim_world;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rust_decimal::Decimal;
use sim_world::{world, Db};
use tradeward_domain::Side;
use tradeward_engine::service::client_order_id;
use tradeward_engine::OrderKind;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut v: Vec<u64>) {
    v.sort_unstable();
    if v.is_empty() {
        println!("{name}: no samples");
        return;
    }
    let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
    println!(
        "{name}: n={} min={}us p50={}us p90={}us p99={}us max={}us mean={:.0}us",
        v.len(),
        v[0],
        pct(&v, 0.50),
        pct(&v, 0.90),
        pct(&v, 0.99),
        v[v.len() - 1],
        mean
    );
}

fn main() {
    let armed = env("TTO_ARMED", 100_000);
    let fires = env("TTO_FIRES", 300).min(armed);
    let pace = Duration::from_millis(env("TTO_PACE_MS", 100));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(armed, fires, pace));
}

async fn run(armed: u64, fires: u64, pace: Duration) {
    let w = world(Db::Sqlite).await;
    let (engine, _) = w.engine().await;
    w.prime(&engine, "50000").await;

    // Far triggers: half sell stops below 40000, half buy stops above 60000, 0.01 apart.
    let far = armed - fires;
    let t0 = Instant::now();
    for i in 0..far {
        let cents = Decimal::new(i64::try_from(i / 2).unwrap(), 2);
        let (side, stop) = if i % 2 == 0 {
            (Side::Sell, Decimal::from(40_000) - cents)
        } else {
            (Side::Buy, Decimal::from(60_000) + cents)
        };
        engine
            .arm(w.single(side, "0.001", OrderKind::StopMarket { stop }))
            .await
            .unwrap();
    }
    let mut near = Vec::new();
    for k in 0..fires {
        let stop = Decimal::from(49_990 - 10 * i64::try_from(k).unwrap());
        let spec = w.single(Side::Sell, "0.001", OrderKind::StopMarket { stop });
        near.push(client_order_id(spec.id, 0));
        engine.arm(spec).await.unwrap();
    }
    println!(
        "armed {} triggers ({} far, {} near) in {:.1}s; legs in the books: {}",
        armed,
        far,
        fires,
        t0.elapsed().as_secs_f64(),
        engine.armed_legs().await
    );
    let before = w.sim_orders().await.len();
    assert_eq!(before, 0, "nothing fired while arming");

    // Moves: each crosses exactly one new stop.
    let mut sent_at = Vec::with_capacity(fires as usize);
    for k in 0..fires {
        let price = (49_985 - 10 * i64::try_from(k).unwrap()).to_string();
        sent_at.push(now_us());
        w.trade(&price).await;
        tokio::time::sleep(pace).await;
    }
    // Let the last fires land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let orders = w.sim_orders().await;

    let mut at_sim = Vec::new();
    let mut from_request = Vec::new();
    let mut foreign_event = 0;
    let mut matched = 0;
    for (k, coid) in near.iter().enumerate() {
        let mine: Vec<_> = orders
            .iter()
            .filter(|o| o["client_order_id"] == coid.as_str())
            .collect();
        if mine.len() != 1 {
            println!("stop {k}: {} orders at the sim (expected 1)", mine.len());
            continue;
        }
        matched += 1;
        let o = mine[0];
        let received = o["received_at_us"].as_u64().unwrap();
        let event = o["market_event_at_us"].as_u64().unwrap();
        at_sim.push(received.saturating_sub(event));
        from_request.push(received.saturating_sub(sent_at[k]));
        let next = sent_at.get(k + 1).copied().unwrap_or(u64::MAX);
        if event < sent_at[k] || event >= next {
            foreign_event += 1;
        }
    }
    println!(
        "orders at the sim: {} (near stops with exactly one order: {matched}/{fires}); \
         orders whose market event is not the driver's trade: {foreign_event}",
        orders.len()
    );
    summary(
        "tick-to-order at the sim (received_at_us - market_event_at_us)",
        at_sim,
    );
    summary(
        "trade request start -> order received (upper bound)",
        from_request,
    );
    println!("legs still armed: {}", engine.armed_legs().await);
}
