//! Login load generator (a plain `main`, not criterion: it measures a running server).
//!
//! Starts the real server (TLS, SQLite, the in-process signer) with the default argon2id
//! parameters (OWASP: m = 19 MiB, t = 2, p = 1) and the default hashing pool (one worker per
//! core, queue of 256), then over HTTPS:
//!
//! 1. logins per second: `LOGINS` password logins by 8 concurrent clients;
//! 2. the latency of a non-login request (`GET /api/v1/me/sessions` with a session) with no
//!    load, then while 100 clients log in back to back (100 logins always in flight).
//!
//! Run: `cargo bench -p tradeward-server --bench login_load` (figures in BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{sqlite_server, Client, TestServer};
use tradeward_auth::{AuthConfig, Role};

const PW: &str = "violet-anchor-sprocket-91";
const LOGINS: usize = 200;
const IN_FLIGHT: usize = 100;

async fn login_ok(c: &mut Client, email: &str) -> bool {
    let r = c.login(email, PW).await;
    r.status.is_success() && r.body.contains("authenticated")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn probe(srv: &TestServer, c: &mut Client, for_how_long: Duration) -> Vec<Duration> {
    let _ = srv;
    let mut out = Vec::new();
    let end = Instant::now() + for_how_long;
    while Instant::now() < end {
        let t = Instant::now();
        let r = c.get("/me/sessions").await;
        out.push(t.elapsed());
        assert!(r.status.is_success(), "{}", r.body);
        c.log.clear();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    out.sort();
    out
}

fn report(name: &str, lat: &[Duration]) {
    println!(
        "{name}: {} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        percentile(lat, 0.50).as_secs_f64() * 1e3,
        percentile(lat, 0.99).as_secs_f64() * 1e3,
        lat.last().unwrap().as_secs_f64() * 1e3
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let config = AuthConfig::default();
    println!(
        "argon2id m = {} KiB, t = {}, p = {}; hashing workers = {}, queue = {}",
        config.hash.m_kib,
        config.hash.t,
        config.hash.p,
        config.hashing_workers,
        config.hashing_queue
    );
    let srv = Arc::new(sqlite_server(config).await);
    srv.user("load@example.com", PW, Role::User).await;
    srv.user("probe@example.com", PW, Role::User).await;

    // 1. Logins per second.
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (srv, done) = (srv.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = srv.client();
            while done.fetch_add(1, Ordering::SeqCst) < LOGINS as u64 {
                assert!(login_ok(&mut c, "load@example.com").await);
                c.log.clear();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "logins: {LOGINS} in {secs:.2} s = {:.1} logins/s (8 concurrent clients)",
        LOGINS as f64 / secs
    );

    // 2. A non-login request, idle and then under 100 logins in flight.
    let mut prober = srv.client();
    assert!(login_ok(&mut prober, "probe@example.com").await);
    let idle = probe(&srv, &mut prober, Duration::from_secs(3)).await;
    report("GET /me/sessions, idle", &idle);

    let stop = Arc::new(AtomicBool::new(false));
    let logins = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (srv, stop, logins) = (srv.clone(), stop.clone(), logins.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = srv.client();
            while !stop.load(Ordering::SeqCst) {
                if login_ok(&mut c, "load@example.com").await {
                    logins.fetch_add(1, Ordering::SeqCst);
                }
                c.log.clear();
            }
        }));
    }
    // Let the queue fill before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = logins.load(Ordering::SeqCst);
    let t = Instant::now();
    let loaded = probe(&srv, &mut prober, Duration::from_secs(10)).await;
    let rate = (logins.load(Ordering::SeqCst) - before) as f64 / t.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    report(
        &format!("GET /me/sessions, {IN_FLIGHT} logins in flight ({rate:.1} logins/s meanwhile)"),
        &loaded,
    );
}
