//! Crash test: `tradeward serve` (engine in-process) is killed with SIGKILL at random moments
//! while 1,000 armed stops fire, and restarted each time; the simulated exchange runs as its
//! own process (`tradeward sim`). At the end the sim's order log holds exactly one order
//! request per trigger: none sent twice, none lost.
//!
//! The triggers are armed through the engine (durable before acknowledged) by an in-process
//! engine on the deployment's own database and KEK, which is then stopped; every firing and
//! every restart after that happens in the killed-and-restarted server process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tradeward_domain::{Side, Venue};
use tradeward_engine::service::{
    client_order_id, new_trigger_id, BinanceConfig, BinanceVenues, EngineService, ServiceConfig,
    SystemClock,
};
use tradeward_engine::{
    Leg, MarketKey, OrderKind, OrderPlan, PriceSource, TriggerBody, TriggerId, TriggerSpec,
};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_store::{NewUser, Store, TriggerState};
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

const TRIGGERS: usize = 1_000;
const KILLS: usize = 6;
const KEY: &str = "crashtestkey000000000000000000000000000000000000000000000000001";
const SECRET: &str = "crashtestsecret0000000000000000000000000000000000000000000001";

/// A child process whose stderr is collected; killed (SIGKILL) when dropped.
struct Proc {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tradeward"))
        .env_remove("TRADEWARD_CONFIG")
        .env_remove("TRADEWARD_SIGNER_SOCKET")
        .env_remove("TRADEWARD_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let sink = stderr.clone();
    let pipe = child.stderr.take().unwrap();
    // Drained for as long as the process lives, so its logs never block it.
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    Proc { child, stderr }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

struct Sim {
    base: String,
    http: reqwest::Client,
    _proc: Proc,
}

impl Sim {
    async fn trade(&self, price: u64) {
        // A refused or failed control call only means the market did not move this time.
        let _ = self
            .http
            .post(format!("{}/sim/v1/trade", self.base))
            .json(&json!({"symbol": "BTCUSDT", "price": price.to_string()}))
            .send()
            .await;
    }

    async fn orders(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/sim/v1/orders", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

async fn start_sim(dir: &Path) -> Sim {
    let port = free_port();
    let config = dir.join("sim.toml");
    std::fs::write(
        &config,
        format!(
            r#"
seed = 9
[[market]]
symbol = "BTCUSDT"
base = "BTC"
quote = "USDT"
price = "50000"
tick_size = "0.01"
step_size = "0.00001"
min_notional = "5"
[[account]]
api_key = "{KEY}"
secret = "{SECRET}"
balances = {{ BTC = "100", USDT = "10000000" }}
[price]
process = "static"
tick_ms = 50
# A burst of 1,000 orders in a second is the point of the test, not a rate-limit probe.
[rate_limits]
request_weight_per_minute = 0
orders_per_10s = 0
orders_per_day = 0
ban_after_429s = 0
"#
        ),
    )
    .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let proc = spawn(&[
        "sim",
        "--listen",
        &addr,
        "--config",
        config.to_str().unwrap(),
    ]);
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let h = http.clone();
    let url = format!("{base}/sim/v1/health");
    for _ in 0..1000 {
        if h.get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Sim {
                base,
                http,
                _proc: proc,
            };
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the sim did not start: {}", proc.stderr.lock().unwrap());
}

/// Provisions the deployment in `data` (user, sim credential through the signer) and arms the
/// triggers through an engine on it; returns their ids.
async fn provision(data: &Path, kek: &Path, sim: &Sim) -> (Store, Vec<TriggerId>) {
    std::fs::create_dir_all(data).unwrap();
    let store = Store::open(&format!("sqlite://{}", data.join("tradeward.db").display()))
        .await
        .unwrap();
    let owner = store
        .create_user(&NewUser {
            email: "crash@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let vault = Vault::new(Arc::new(LocalKeyProvider::open_or_create(kek).unwrap()));
    let signer = Signer::new(
        store.clone(),
        vault,
        Arc::new(tradeward_audit::MemoryAuditSink::new()),
    );
    let credential = signer
        .store_credential(
            &CallContext::component("test").for_user(owner),
            CredentialInput {
                owner,
                venue: Venue::Sim,
                label: "sim".into(),
                scheme: None,
                api_key: SecretBytes::new(KEY.as_bytes().to_vec()),
                secret: SecretBytes::new(SECRET.as_bytes().to_vec()),
                passphrase: None,
                limits: CredentialLimits::default(),
                permissions: "{}".into(),
            },
        )
        .await
        .unwrap()
        .id;
    let ws = sim.base.replace("http://", "ws://");
    let venues = BinanceVenues::new(
        store.clone(),
        Arc::new(signer),
        Arc::new(SystemClock),
        vec![(Venue::Sim, BinanceConfig::sim(&sim.base, &ws))],
    )
    .unwrap();
    let (engine, _) = EngineService::start(
        store.clone(),
        Arc::new(venues),
        Arc::new(SystemClock),
        ServiceConfig::default(),
    )
    .await
    .unwrap();
    let market = MarketKey {
        venue: Venue::Sim,
        symbol: "BTC/USDT".parse().unwrap(),
    };
    engine.watch_market(&market).await.unwrap();
    for _ in 0..500 {
        sim.trade(50_000).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        if engine.price(&market, PriceSource::Last).await.is_some() {
            break;
        }
    }
    // Sell stops at 49,999, 49,998, ... 49,000: a falling price fires them in waves.
    let mut ids = Vec::with_capacity(TRIGGERS);
    for i in 0..TRIGGERS {
        let spec = TriggerSpec {
            id: new_trigger_id(),
            owner,
            market: market.clone(),
            client_id: None,
            body: TriggerBody::Order {
                credential,
                plan: OrderPlan::Single(Leg {
                    side: Side::Sell,
                    quantity: "0.001".parse().unwrap(),
                    source: PriceSource::Last,
                    kind: OrderKind::StopMarket {
                        stop: (49_999 - i).to_string().parse().unwrap(),
                    },
                }),
            },
        };
        ids.push(spec.id);
        engine.arm(spec).await.unwrap();
    }
    drop(engine);
    (store, ids)
}

fn serve(data: &Path, config: &Path) -> Proc {
    spawn(&[
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ])
}

async fn until_listening(p: &Proc) {
    let s = p.stderr.clone();
    wait_for("tradeward serve to listen", Duration::from_secs(30), || {
        s.lock().unwrap().contains("listening on").then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_1000_firings_leaves_exactly_one_order_each() {
    let started = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let data: PathBuf = root.path().join("data");
    let kek = root.path().join("data.kek");
    let sim = start_sim(root.path()).await;
    let (store, ids) = provision(&data, &kek, &sim).await;
    let config = root.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n\n[[engine.venue]]\nname = \"sim\"\n\
             rest_base = \"{}\"\nws_base = \"{}\"\n",
            sim.base,
            sim.base.replace("http://", "ws://")
        ),
    )
    .unwrap();

    let mut rng = rand::rngs::StdRng::seed_from_u64(
        std::env::var("TRADEWARD_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5eed),
    );
    // The price walks down 20 a step (20 stops a step) while the server is killed at random.
    let mut price: u64 = 50_000;
    for round in 0..KILLS {
        let server = serve(&data, &config);
        until_listening(&server).await;
        let kill_at = Instant::now() + Duration::from_millis(rng.gen_range(10..350));
        while Instant::now() < kill_at {
            price = price.saturating_sub(20).max(48_500);
            sim.trade(price).await;
            tokio::time::sleep(Duration::from_millis(rng.gen_range(2..15))).await;
        }
        drop(server); // SIGKILL, mid-burst.
        eprintln!("round {round}: killed at price {price}");
    }

    // A last run, left alone: everything still armed fires, everything decided is settled.
    let server = serve(&data, &config);
    until_listening(&server).await;
    let want: HashMap<String, TriggerId> = ids
        .iter()
        .map(|id| (client_order_id(*id, 0).as_str().to_owned(), *id))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        sim.trade(48_000).await;
        let orders = sim.orders().await;
        let seen = orders
            .iter()
            .filter(|o| want.contains_key(o["client_order_id"].as_str().unwrap_or("")))
            .count();
        if seen >= TRIGGERS || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let anything still in flight land (a duplicate would show now).
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let orders = sim.orders().await;
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for o in &orders {
        *per_id
            .entry(o["client_order_id"].as_str().unwrap_or("").to_owned())
            .or_default() += 1;
    }
    let twice: Vec<_> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "order requests sent more than once: {twice:?}"
    );
    let lost: Vec<_> = want.keys().filter(|c| !per_id.contains_key(*c)).collect();
    assert!(
        lost.is_empty(),
        "{} triggers never reached the sim; serve log: {}",
        lost.len(),
        server.stderr.lock().unwrap()
    );
    assert_eq!(orders.len(), TRIGGERS, "nothing else was sent");
    assert!(
        orders.iter().all(|o| o["status"] == 200),
        "every order accepted"
    );
    // The server's own record agrees.
    for id in &ids {
        let row = store.trigger(*id.as_uuid()).await.unwrap().unwrap();
        assert_eq!(row.state, TriggerState::Fired, "{id}");
    }
    drop(server);
    eprintln!(
        "crash test: {KILLS} kills, {} orders, {:?}",
        orders.len(),
        started.elapsed()
    );
}
