//! Balance monitoring of many credentials: CPU share and memory of the monitor polling
//! 10,000 credentials at a 60 s interval against the real simulator over HTTP on loopback,
//! every request signed by a real in-process signer (SQLite store, local KEK).
//!
//! `cargo bench -p tradeward-engine --bench balance_monitor`
//! (env: `MONITOR_CREDENTIALS`, default 10000; `MONITOR_INTERVAL_S`, default 60;
//! `MONITOR_WINDOW_S`, default 20).
//!
//! What it does and measures:
//! 1. Starts the sim (its own runtime, threads named `sim`) with one account per credential,
//!    stores every credential in the signer, builds one Binance execution client per
//!    credential (sharing one HTTP client), and polls every credential once (warm-up, not
//!    measured: connection pool, the signer's credential cache).
//! 2. Starts the monitor (its own runtime, threads named `monitor`) with all credentials at
//!    the interval, and measures a window of `MONITOR_WINDOW_S` seconds of its steady state.
//!    Polls are evenly spread (one every interval / n), so a window is a fair sample of the
//!    whole interval: the CPU share is CPU time in the window / window length, the same for
//!    any window length (a rate, not extrapolated beyond that).
//! 3. CPU per thread group from `/proc/self/task/*/schedstat` (ns on CPU) and `comm`: the
//!    monitor runtime (scheduling, HTTP client, in-process signing, JSON parsing, valuation),
//!    the signer's SQLite workers, and the sim (the exchange side, reported apart). Memory:
//!    RSS growth in three steps (execution clients with the warm-up, the monitor watching
//!    them, the window's snapshots) and the whole process RSS (sim included). Audit events
//!    are counted and dropped (production writes them to the store; the CPU of that write is
//!    not in these figures).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench with a broken setup stops at once

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tradeward_audit::{AuditError, AuditEvent, AuditSink};
use tradeward_domain::{CredentialId, Venue};
use tradeward_engine::balance_monitor::{
    BalanceMonitor, BalanceSink, BalanceSnapshot, MonitorConfig, VenueLimits, Watched,
};
use tradeward_exchange::binance::{BinanceConfig, BinanceExecution, BinanceHttp};
use tradeward_exchange::{ExecutionClient, SystemClock};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_sim::SimConfig;
use tradeward_store::NewUser;
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn key(i: usize) -> String {
    format!("benchkey{i:056}")
}

fn secret(i: usize) -> String {
    format!("benchsecret{i:053}")
}

fn sim_config(n: usize) -> SimConfig {
    let mut toml = String::from(
        r#"
seed = 1
[[market]]
symbol = "BTCUSDT"
base = "BTC"
quote = "USDT"
price = "50000"
tick_size = "0.01"
step_size = "0.00001"
min_notional = "5"
[price]
process = "static"
tick_ms = 1000
[rate_limits]
request_weight_per_minute = 100000000
"#,
    );
    for i in 0..n {
        toml.push_str(&format!(
            "[[account]]\napi_key = \"{}\"\nsecret = \"{}\"\nbalances = {{ BTC = \"1\", USDT = \"1000\" }}\n",
            key(i),
            secret(i)
        ));
    }
    SimConfig::from_toml(&toml).expect("bench sim config")
}

/// CPU ns per thread group (by thread name).
fn cpu_by_group() -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in dir.flatten() {
        let p = t.path();
        let name = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
        let ns: u64 = std::fs::read_to_string(p.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        let group = if name.starts_with("monitor") {
            "monitor"
        } else if name.starts_with("sim") {
            "sim"
        } else if name.starts_with("sqlx") {
            "signer sqlite"
        } else {
            "other"
        };
        *out.entry(group.to_string()).or_default() += ns;
    }
    out
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Counts audit events and drops them: production writes them to the store, and keeping
/// 13,000 of them in memory would charge the monitor for the audit log.
#[derive(Debug, Default)]
struct CountingAudit {
    n: std::sync::atomic::AtomicU64,
}

impl AuditSink for CountingAudit {
    fn record(&self, _event: AuditEvent) -> Result<(), AuditError> {
        self.n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

#[derive(Debug, Default)]
struct CountingSink {
    n: std::sync::atomic::AtomicU64,
}

impl BalanceSink for CountingSink {
    fn on_snapshot(&self, _s: &BalanceSnapshot) {
        self.n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the command line.
    let n = env("MONITOR_CREDENTIALS", 10_000) as usize;
    let interval = Duration::from_secs(env("MONITOR_INTERVAL_S", 60));
    let window = Duration::from_secs(env("MONITOR_WINDOW_S", 20));

    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sim")
        .enable_all()
        .build()
        .unwrap();
    let sim = sim_rt
        .block_on(tradeward_sim::spawn(
            sim_config(n),
            "127.0.0.1:0".parse().unwrap(),
        ))
        .expect("sim starts");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("monitor")
        .enable_all()
        .build()
        .unwrap();
    let dirs = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let (signer, ctx, user) = rt.block_on(async {
        std::fs::create_dir_all(dirs.path().join("data")).unwrap();
        let store = tradeward_store::testing::fresh_sqlite(&dirs.path().join("data"))
            .await
            .unwrap();
        let provider = LocalKeyProvider::open_or_create(&dirs.path().join("kek")).unwrap();
        let user = store
            .create_user(&NewUser {
                email: "bench@example.com".into(),
                role: "user".into(),
                created_at_us: 1,
            })
            .await
            .unwrap();
        let signer = Signer::new(
            store,
            Vault::new(Arc::new(provider)),
            Arc::new(CountingAudit::default()),
        );
        (
            signer,
            CallContext::component("engine").for_user(user),
            user,
        )
    });
    let ids: Vec<CredentialId> = rt.block_on(async {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let stored = signer
                .store_credential(
                    &ctx,
                    CredentialInput {
                        owner: user,
                        venue: Venue::Sim,
                        label: format!("bench {i}"),
                        scheme: None,
                        api_key: SecretBytes::new(key(i).into_bytes()),
                        secret: SecretBytes::new(secret(i).into_bytes()),
                        passphrase: None,
                        limits: CredentialLimits::default(),
                        permissions: "{}".into(),
                    },
                )
                .await
                .unwrap();
            ids.push(stored.id);
        }
        ids
    });
    eprintln!(
        "{n} credentials stored in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let rss_before = rss_kib();
    let mut config = BinanceConfig::sim(&sim.base_url(), &sim.ws_url());
    config.request_timeout = Duration::from_secs(10);
    let http = Arc::new(BinanceHttp::new(config, Arc::new(SystemClock)).unwrap());
    let clients: Vec<(CredentialId, Arc<BinanceExecution>)> = ids
        .iter()
        .map(|id| {
            let exec =
                BinanceExecution::new(http.clone(), Arc::new(signer.clone()), *id, ctx.clone());
            (*id, Arc::new(exec))
        })
        .collect();

    // Warm-up: every credential polled once, 16 at a time.
    let t1 = Instant::now();
    let failures = rt.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(16));
        let mut set = tokio::task::JoinSet::new();
        for (_, c) in &clients {
            let (c, permits) = (c.clone(), permits.clone());
            set.spawn(async move {
                let _p = permits.acquire_owned().await;
                c.balances().await.is_err()
            });
        }
        let mut failed = 0;
        while let Some(r) = set.join_next().await {
            failed += usize::from(r.unwrap_or(true));
        }
        failed
    });
    assert_eq!(failures, 0, "warm-up polls failed");
    eprintln!("warm-up: {n} polls in {:.1} s", t1.elapsed().as_secs_f64());

    let rss_clients = rss_kib();
    let sink = Arc::new(CountingSink::default());
    let mut mc = MonitorConfig {
        interval,
        ..MonitorConfig::default()
    };
    mc.venues.insert(
        Venue::Sim,
        VenueLimits {
            concurrency: 8,
            max_polls_per_minute: None,
        },
    );
    let monitor = BalanceMonitor::new(mc, Arc::new(SystemClock), sink.clone());
    for (id, c) in &clients {
        monitor.watch(Watched {
            credential: *id,
            client: c.clone(),
        });
    }
    let rss_watched = rss_kib();
    let cpu0 = cpu_by_group();
    let w0 = Instant::now();
    rt.block_on(async {
        monitor.start();
        tokio::time::sleep(window).await;
        monitor.stop();
    });
    let elapsed = w0.elapsed().as_secs_f64();
    let cpu1 = cpu_by_group();
    let rss_after = rss_kib();
    let st = monitor.stats();
    let expected = n as f64 * elapsed / interval.as_secs_f64();

    println!(
        "balance monitor: {n} credentials, interval {} s, window {elapsed:.1} s",
        interval.as_secs()
    );
    println!(
        "polls: {} ok, {} failed, {} skipped busy, peak in flight {} (evenly spread: {expected:.0} due in the window)",
        st.polls_ok, st.polls_failed, st.skipped_busy, st.peak_in_flight
    );
    let mut groups: Vec<&String> = cpu1.keys().collect();
    groups.sort();
    for g in groups {
        let ns = cpu1[g].saturating_sub(cpu0.get(g).copied().unwrap_or(0));
        let secs = ns as f64 / 1e9;
        println!(
            "CPU {g:>14}: {secs:.3} s = {:.2}% of one core{}",
            100.0 * secs / elapsed,
            if st.polls_ok > 0 {
                format!(", {:.0} µs per poll", 1e6 * secs / st.polls_ok as f64)
            } else {
                String::new()
            }
        );
    }
    let mib = |a: u64, b: u64| b.saturating_sub(a) as f64 / 1024.0;
    let per = |a: u64, b: u64| b.saturating_sub(a) as f64 * 1024.0 / n as f64;
    println!(
        "memory (RSS growth): {:.1} MiB for {n} execution clients + warm-up (signer cache, \
         HTTP pool) = {:.0} B per credential; {:.1} MiB for the monitor watching them = {:.0} B \
         per credential; {:.1} MiB during the window (snapshots of the polled credentials) = \
         {:.0} B per credential; process RSS {:.1} MiB with the sim and signer",
        mib(rss_before, rss_clients),
        per(rss_before, rss_clients),
        mib(rss_clients, rss_watched),
        per(rss_clients, rss_watched),
        mib(rss_watched, rss_after),
        per(rss_watched, rss_after),
        rss_after as f64 / 1024.0
    );
    drop(sim);
}
