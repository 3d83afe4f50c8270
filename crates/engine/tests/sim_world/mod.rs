//! Shared set-up of the engine's end-to-end tests: the real simulator in-process on
//! 127.0.0.1:0 (spoken to over HTTP and WebSocket only), a real signer holding the sim
//! account's key as a credential, the engine service on SQLite or PostgreSQL, and helpers
//! to move the market through the sim's control plane and read its order log.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use tradeward_audit::MemoryAuditSink;
use tradeward_domain::{CredentialId, Side, UserId, Venue};
use tradeward_engine::service::{BinanceVenues, EngineService, Notice, Outcome, ServiceConfig};
use tradeward_engine::{
    Leg, MarketKey, OrderKind, OrderPlan, PriceSource, TriggerBody, TriggerId, TriggerSpec,
};
use tradeward_exchange::binance::BinanceConfig;
use tradeward_exchange::{BackoffConfig, SystemClock};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_sim::{spawn, SimConfig, SimHandle};
use tradeward_store::{NewUser, Store};
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};
use uuid::Uuid;

pub const KEY: &str = "enginetestkey00000000000000000000000000000000000000000000001";
pub const SECRET: &str = "enginetestsecret0000000000000000000000000000000000000000001";

pub fn sim_config() -> SimConfig {
    SimConfig::from_toml(&format!(
        r#"
seed = 5
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
"#
    ))
    .expect("test sim config")
}

/// Which database the engine runs on.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct World {
    pub sim: SimHandle,
    pub store: Store,
    pub signer: Signer,
    pub owner: UserId,
    pub credential: CredentialId,
    pub venues: Arc<BinanceVenues>,
    pub http: reqwest::Client,
    pub dirs: tempfile::TempDir,
}

pub fn btc() -> MarketKey {
    MarketKey {
        venue: Venue::Sim,
        symbol: "BTC/USDT".parse().unwrap(),
    }
}

pub fn test_config() -> ServiceConfig {
    ServiceConfig {
        switch_poll_interval: Duration::from_millis(50),
        flush_interval: Duration::from_millis(50),
        poll_interval: Duration::from_millis(500),
        first_price_wait: Duration::from_secs(2),
    }
}

pub async fn world(db: Db) -> World {
    let sim = spawn(sim_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("sim starts");
    let dirs = tempfile::tempdir().unwrap();
    let store = match db {
        Db::Sqlite => tradeward_store::testing::fresh_sqlite(dirs.path())
            .await
            .unwrap(),
        Db::Postgres => tradeward_store::testing::fresh_postgres()
            .await
            .expect("PostgreSQL must be reachable for the suite"),
    };
    let provider = LocalKeyProvider::open_or_create(&dirs.path().join("kek")).unwrap();
    let audit = Arc::new(MemoryAuditSink::new());
    let owner = store
        .create_user(&NewUser {
            email: "trader@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let signer = Signer::new(store.clone(), Vault::new(Arc::new(provider)), audit);
    let stored = signer
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
        .unwrap();
    let mut config = BinanceConfig::sim(&sim.base_url(), &sim.ws_url());
    config.reconnect = BackoffConfig {
        base: Duration::from_millis(50),
        max: Duration::from_millis(400),
    };
    let venues = Arc::new(
        BinanceVenues::new(
            store.clone(),
            Arc::new(signer.clone()),
            Arc::new(SystemClock),
            vec![(Venue::Sim, config)],
        )
        .unwrap(),
    );
    World {
        sim,
        store,
        signer,
        owner,
        credential: stored.id,
        venues,
        http: reqwest::Client::new(),
        dirs,
    }
}

impl World {
    /// Starts an engine service on the world's store and venues.
    pub async fn engine(&self) -> (Arc<EngineService>, Vec<Outcome>) {
        EngineService::start(
            self.store.clone(),
            self.venues.clone(),
            Arc::new(SystemClock),
            test_config(),
        )
        .await
        .unwrap()
    }

    /// Starts watching BTC/USDT and trades at `price` until the engine has seen a price.
    pub async fn prime(&self, engine: &Arc<EngineService>, price: &str) {
        engine.watch_market(&btc()).await.unwrap();
        for _ in 0..100 {
            self.trade(price).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            if engine.price(&btc(), PriceSource::Last).await == Some(price.parse().unwrap()) {
                return;
            }
        }
        panic!("the engine never saw a price");
    }

    /// The market trades at `price` now (sim control plane).
    pub async fn trade(&self, price: &str) {
        let r = self
            .http
            .post(format!("{}/sim/v1/trade", self.sim.base_url()))
            .json(&json!({"symbol": "BTCUSDT", "price": price}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "trade: {}", r.status());
    }

    /// Trades at `price` and waits until the engine has processed it.
    pub async fn trade_seen(&self, engine: &EngineService, price: &str) {
        self.trade(price).await;
        let want: Decimal = price.parse().unwrap();
        for _ in 0..250 {
            if engine.price(&btc(), PriceSource::Last).await == Some(want) {
                // The update that set the price has been processed (same lock).
                return;
            }
            tokio::time::sleep(Duration::from_millis(4)).await;
        }
        panic!("the engine never saw {price}");
    }

    /// Every order request the sim received (`GET /sim/v1/orders`).
    pub async fn sim_orders(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/sim/v1/orders", self.sim.base_url()))
            .send()
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap()
    }

    /// The sim's order requests carrying `client_order_id`.
    pub async fn sim_orders_for(&self, client_order_id: &str) -> Vec<Value> {
        self.sim_orders()
            .await
            .into_iter()
            .filter(|o| o["client_order_id"] == client_order_id)
            .collect()
    }

    /// Waits (5 s at most) until the sim has received `n` order requests with this id, then
    /// a little more (so a duplicate would show), and returns them.
    pub async fn wait_orders(&self, client_order_id: &str, n: usize) -> Vec<Value> {
        for _ in 0..250 {
            if self.sim_orders_for(client_order_id).await.len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.sim_orders_for(client_order_id).await
    }

    /// Lets in-flight sends land, then returns the sim's order requests with this id (for
    /// asserting that nothing more arrives).
    pub async fn settled(&self, client_order_id: &str) -> Vec<Value> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.sim_orders_for(client_order_id).await
    }

    /// A single-leg order trigger spec on BTC/USDT.
    pub fn single(&self, side: Side, quantity: &str, kind: OrderKind) -> TriggerSpec {
        self.spec(OrderPlan::Single(leg(side, quantity, kind)))
    }

    /// An order trigger spec with `plan`.
    pub fn spec(&self, plan: OrderPlan) -> TriggerSpec {
        TriggerSpec {
            id: TriggerId::from_uuid(Uuid::now_v7()),
            owner: self.owner,
            market: btc(),
            client_id: None,
            body: TriggerBody::Order {
                credential: self.credential,
                plan,
            },
        }
    }
}

pub fn leg(side: Side, quantity: &str, kind: OrderKind) -> Leg {
    Leg {
        side,
        quantity: quantity.parse().unwrap(),
        source: PriceSource::Last,
        kind,
    }
}

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Drains the notices received so far.
pub fn drain(rx: &mut tokio::sync::broadcast::Receiver<Notice>) -> Vec<Notice> {
    let mut out = Vec::new();
    while let Ok(n) = rx.try_recv() {
        out.push(n);
    }
    out
}
