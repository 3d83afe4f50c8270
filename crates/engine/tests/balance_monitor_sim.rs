//! The balance monitor against the real simulator over HTTP, every poll signed by a real
//! signer: each credential is polled and valued at the price the market-data stream
//! delivered, a balance change reaches the trigger books' balance alerts, and a slow venue
//! never gets more polls at once than its concurrency limit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use tokio::sync::mpsc;
use tradeward_audit::MemoryAuditSink;
use tradeward_domain::{CredentialId, Side, Symbol, UserId, Venue};
use tradeward_engine::balance_monitor::{
    AlertFeed, BalanceMonitor, BalanceSink, BalanceSnapshot, MonitorConfig, SnapshotSource,
    VenueLimits, Watched,
};
use tradeward_engine::{BalanceAlertSpec, BalanceCondition, Event, TriggerBooks, TriggerId};
use tradeward_exchange::binance::{
    BinanceConfig, BinanceExecution, BinanceHttp, BinanceMarketData,
};
use tradeward_exchange::{
    ClientOrderId, ExecutionClient, FeedItem, MarketDataClient, OrderKind, OrderRequest,
    StreamKind, SystemClock,
};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_sim::{spawn, SimConfig, SimHandle};
use tradeward_store::NewUser;
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};
use uuid::Uuid;

/// (API key, balances) of the three accounts.
const ACCOUNTS: [(&str, &str); 3] = [
    ("monitorkeya", r#"{ BTC = "1", USDT = "1000" }"#),
    ("monitorkeyb", r#"{ BTC = "0.5", USDT = "0" }"#),
    ("monitorkeyc", r#"{ USDT = "250" }"#),
];

fn key(i: usize) -> String {
    format!("{:0<64}", ACCOUNTS[i].0)
}

fn secret(i: usize) -> String {
    format!("{:0<64}", format!("monitorsecret{i}"))
}

fn sim_config() -> SimConfig {
    let mut toml = String::from(
        r#"
seed = 3
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
tick_ms = 50
"#,
    );
    for (i, (_, balances)) in ACCOUNTS.iter().enumerate() {
        toml.push_str(&format!(
            "[[account]]\napi_key = \"{}\"\nsecret = \"{}\"\nbalances = {balances}\n",
            key(i),
            secret(i)
        ));
    }
    SimConfig::from_toml(&toml).expect("test sim config")
}

struct World {
    sim: SimHandle,
    config: BinanceConfig,
    creds: Vec<(CredentialId, Arc<BinanceExecution>)>,
    owner: UserId,
    _dirs: tempfile::TempDir,
}

async fn world() -> World {
    let sim = spawn(sim_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("sim starts");
    let dirs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dirs.path().join("data")).unwrap();
    let store = tradeward_store::testing::fresh_sqlite(&dirs.path().join("data"))
        .await
        .unwrap();
    let provider = LocalKeyProvider::open_or_create(&dirs.path().join("kek")).unwrap();
    let user = store
        .create_user(&NewUser {
            email: "monitor@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let signer = Signer::new(
        store,
        Vault::new(Arc::new(provider)),
        Arc::new(MemoryAuditSink::new()),
    );
    let ctx = CallContext::component("engine").for_user(user);
    let mut config = BinanceConfig::sim(&sim.base_url(), &sim.ws_url());
    config.request_timeout = Duration::from_secs(5);
    let http = Arc::new(BinanceHttp::new(config.clone(), Arc::new(SystemClock)).unwrap());
    let mut creds = Vec::new();
    for i in 0..ACCOUNTS.len() {
        let stored = signer
            .store_credential(
                &ctx,
                CredentialInput {
                    owner: user,
                    venue: Venue::Sim,
                    label: format!("sim {i}"),
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
        let exec = Arc::new(BinanceExecution::new(
            http.clone(),
            Arc::new(signer.clone()),
            stored.id,
            ctx.clone(),
        ));
        creds.push((stored.id, exec));
    }
    World {
        sim,
        config,
        creds,
        owner: user,
        _dirs: dirs,
    }
}

impl World {
    async fn control(&self, path: &str, body: serde_json::Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{}", self.sim.base_url(), path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "control {path}: {}", r.status());
    }

    fn monitor(&self, config: MonitorConfig, sink: Arc<dyn BalanceSink>) -> BalanceMonitor {
        let m = BalanceMonitor::new(config, Arc::new(SystemClock), sink);
        for (id, exec) in &self.creds {
            m.watch(Watched {
                credential: *id,
                client: exec.clone(),
            });
        }
        m
    }
}

/// Keeps every snapshot and passes it on to the alert feed.
#[derive(Debug)]
struct Recorder {
    seen: Mutex<Vec<BalanceSnapshot>>,
    next: Option<AlertFeed>,
}

impl BalanceSink for Recorder {
    fn on_snapshot(&self, s: &BalanceSnapshot) {
        self.seen.lock().unwrap().push(s.clone());
        if let Some(n) = &self.next {
            n.on_snapshot(s);
        }
    }
}

fn btc() -> Symbol {
    "BTC/USDT".parse().unwrap()
}

async fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

fn alert(
    n: u128,
    owner: UserId,
    credential: CredentialId,
    asset: &str,
    c: BalanceCondition,
) -> BalanceAlertSpec {
    BalanceAlertSpec {
        id: TriggerId::from_uuid(Uuid::from_u128(n)),
        owner,
        credential,
        asset: asset.into(),
        condition: c,
    }
}

#[tokio::test]
async fn polls_values_and_feeds_balance_alerts() {
    let w = world().await;
    let (a, b, c) = (w.creds[0].0, w.creds[1].0, w.creds[2].0);

    let books = Arc::new(Mutex::new(TriggerBooks::new()));
    {
        let mut bk = books.lock().unwrap();
        bk.arm_balance_alert(alert(
            1,
            w.owner,
            b,
            "BTC",
            BalanceCondition::AtOrBelow(dec!(0.4)),
        ))
        .unwrap();
        bk.arm_balance_alert(alert(
            2,
            w.owner,
            a,
            "USDT",
            BalanceCondition::AtOrBelow(dec!(500)),
        ))
        .unwrap();
    }
    let (tx, mut fired) = mpsc::unbounded_channel::<Event>();
    let rec = Arc::new(Recorder {
        seen: Mutex::new(Vec::new()),
        next: Some(AlertFeed::new(books.clone(), tx)),
    });
    let config = MonitorConfig {
        interval: Duration::from_millis(300),
        ..MonitorConfig::default()
    };
    let monitor = w.monitor(config, rec.clone());

    // Prices from the real market-data stream: a control-plane trade moves BTC to 40,000.
    let md = BinanceMarketData::with_rng(
        w.config.clone(),
        Arc::new(SystemClock),
        Arc::new(|| Box::new(StdRng::seed_from_u64(5)) as Box<dyn RngCore + Send>),
    )
    .unwrap();
    let mut sub = md.subscribe(&[btc()], &[StreamKind::Trades]).await.unwrap();
    let m2 = monitor.clone();
    let (conn_tx, mut connected) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(item) = sub.events.recv().await {
            match item {
                FeedItem::Event(e) => m2.on_market_event(&e),
                FeedItem::Connected => {
                    let _ = conn_tx.send(());
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(5), connected.recv())
        .await
        .expect("market stream connects");
    w.control(
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "40000"}),
    )
    .await;
    eventually("BTC price from the stream", || {
        (monitor.prices().price_of(Venue::Sim, "BTC", "USDT") == Some(dec!(40000))).then_some(())
    })
    .await;

    monitor.start();
    let snaps = eventually("a snapshot of every credential", || {
        let s: Vec<BalanceSnapshot> = w
            .creds
            .iter()
            .filter_map(|(id, _)| monitor.latest(*id))
            .collect();
        (s.len() == 3).then_some(s)
    })
    .await;
    // Known answers: 1 BTC + 1,000 USDT; 0.5 BTC; 250 USDT, BTC at 40,000.
    let totals: Vec<Decimal> = snaps.iter().map(|s| s.value.total).collect();
    assert_eq!(totals, vec![dec!(41000), dec!(20000), dec!(250)]);
    assert!(snaps
        .iter()
        .all(|s| s.value.quote == "USDT" && s.value.unpriced.is_empty()));
    let a_btc = snaps[0].balances.iter().find(|x| x.asset == "BTC").unwrap();
    assert_eq!((a_btc.free, a_btc.locked), (dec!(1), dec!(0)));
    assert!(fired.try_recv().is_err(), "no alert met yet");

    // B sells 0.2 BTC at the market: its next poll sees 0.3 BTC and the alert fires, once.
    let (_, exec_b) = &w.creds[1];
    exec_b
        .place_order(&OrderRequest {
            symbol: btc(),
            side: Side::Sell,
            kind: OrderKind::Market {
                quantity: dec!(0.2),
            },
            client_order_id: ClientOrderId::new("monitor-sell-1").unwrap(),
        })
        .await
        .unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), fired.recv())
        .await
        .expect("balance alert fires")
        .unwrap();
    match e {
        Event::BalanceAlert(f) => {
            assert_eq!(f.credential, b);
            assert_eq!(f.asset, "BTC");
            assert_eq!(f.balance, dec!(0.3));
        }
        other => panic!("unexpected event {other:?}"),
    }

    // A balance change from the user data stream reaches the alerts without a poll.
    monitor.on_stream_balances(
        a,
        &[tradeward_exchange::Balance {
            asset: "USDT".into(),
            free: dec!(400),
            locked: dec!(0),
        }],
    );
    match fired.try_recv() {
        Ok(Event::BalanceAlert(f)) => {
            assert_eq!(
                (f.credential, f.asset.as_str(), f.balance),
                (a, "USDT", dec!(400))
            );
        }
        other => panic!("expected A's USDT alert, got {other:?}"),
    }
    // Valued at the latest trade price (B's sale traded just below 40,000): 1 BTC + 400 USDT.
    let a_now = monitor.latest(a).unwrap();
    let p = monitor
        .prices()
        .price_of(Venue::Sim, "BTC", "USDT")
        .unwrap();
    assert!(p > dec!(39900) && p <= dec!(40000), "BTC at {p}");
    assert_eq!(a_now.value.total, p + dec!(400));

    // Round after round every credential is polled again (three snapshots each), with no
    // failure, and C's value never changes.
    eventually("three polled snapshots of every credential", || {
        let seen = rec.seen.lock().unwrap();
        w.creds
            .iter()
            .all(|(id, _)| {
                seen.iter()
                    .filter(|s| s.credential == *id && s.source == SnapshotSource::Poll)
                    .count()
                    >= 3
            })
            .then_some(())
    })
    .await;
    monitor.stop();
    let st = monitor.stats();
    assert_eq!(st.polls_failed, 0);
    assert!(st.polls_ok >= 9, "three rounds of three: {st:?}");
    let seen = rec.seen.lock().unwrap();
    assert!(seen
        .iter()
        .all(|s| s.credential != c || s.value.total == dec!(250)));
    assert!(fired.try_recv().is_err(), "each alert fired once");
}

#[tokio::test]
async fn a_slow_venue_gets_no_more_than_its_concurrency() {
    let w = world().await;
    // Every sim response is delayed 250 ms; one poll at a time; a 150 ms round for three
    // credentials, so polls queue and the busy ones are skipped rather than piled up.
    w.control("/sim/v1/faults", json!({"latency_ms": 250}))
        .await;
    let rec = Arc::new(Recorder {
        seen: Mutex::new(Vec::new()),
        next: None,
    });
    let mut config = MonitorConfig {
        interval: Duration::from_millis(150),
        ..MonitorConfig::default()
    };
    config.venues.insert(
        Venue::Sim,
        VenueLimits {
            concurrency: 1,
            max_polls_per_minute: None,
        },
    );
    let monitor = w.monitor(config, rec.clone());
    monitor.start();
    eventually("three polls", || {
        (monitor.stats().polls_ok >= 3).then_some(())
    })
    .await;
    monitor.stop();
    let st = monitor.stats();
    assert_eq!(st.peak_in_flight, 1, "{st:?}");
    assert!(st.skipped_busy > 0, "busy credentials were skipped: {st:?}");
    assert_eq!(st.polls_failed, 0);
}
