//! Signed order placements per second over HTTP on loopback: keep-alive connections, each
//! request HMAC-signed like Binance's docs, each one a real LIMIT order that rests in the
//! book (target: 10,000/s on the 2-core machine, load generator included).
//!
//! `cargo bench -p tradeward-sim --bench http_orders` (env BENCH_SECS, BENCH_CONNS to tune)
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

#[path = "support/rawhttp.rs"]
mod rawhttp;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tradeward_sim::config::{PriceProcessKind, RateLimitConfig};
use tradeward_sim::SimConfig;

fn main() {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let conns: usize = std::env::var("BENCH_CONNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(Duration::from_secs(secs), conns));
}

async fn run(duration: Duration, conns: usize) {
    let mut cfg = SimConfig::default_demo();
    cfg.price.process = PriceProcessKind::Static;
    cfg.price.tick_ms = 1000;
    cfg.rate_limits = RateLimitConfig::unlimited();
    cfg.accounts[0]
        .balances
        .insert("USDT".into(), "1000000000".parse().expect("decimal"));
    let key = cfg.accounts[0].api_key.clone();
    let secret = cfg.accounts[0]
        .secret
        .as_ref()
        .expect("hmac account")
        .expose_secret()
        .to_string();
    let sim = tradeward_sim::spawn(cfg, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("sim");
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (key, secret, ok, failed, addr) = (
            key.clone(),
            secret.clone(),
            ok.clone(),
            failed.clone(),
            sim.addr,
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = rawhttp::Conn::connect(addr).await;
            let headers = [("x-mbx-apikey", key.as_str()), ("content-type", "application/x-www-form-urlencoded")];
            let mut i: u64 = 0;
            while start.elapsed() < duration {
                i += 1;
                // Bids from 40000.00 down, away from the market, so every order rests.
                let price_cents = 4_000_000 - ((c as u64 * 7919 + i) % 1000);
                let ts = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis();
                let payload = format!(
                    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price={}.{:02}&timestamp={ts}",
                    price_cents / 100,
                    price_cents % 100
                );
                let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
                mac.update(payload.as_bytes());
                let body = format!("{payload}&signature={}", hex::encode(mac.finalize().into_bytes()));
                let (status, resp) = conn.request("POST", "/api/v3/order", &headers, body.as_bytes()).await;
                if status == 200 {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                        eprintln!("first failure: {status} {}", String::from_utf8_lossy(&resp));
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = ok.load(Ordering::Relaxed);
    let open = {
        let eng = sim.state.engine.lock().expect("engine lock");
        let acct = eng.account_by_label(&key).expect("account");
        eng.open_orders(acct, Some("BTCUSDT"))
            .expect("open orders")
            .len()
    };
    println!(
        "http_orders: {n} signed LIMIT orders placed in {elapsed:.2} s over {conns} keep-alive connections = {:.0} orders/s ({} failed, {open} resting)",
        n as f64 / elapsed,
        failed.load(Ordering::Relaxed)
    );
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "every order must be accepted"
    );
    sim.stop().await.expect("stop");
}
