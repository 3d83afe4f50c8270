//! Shared set-up of the end-to-end tests: an in-process simulator on 127.0.0.1:0, a real
//! in-process signer (SQLite store, local KEK provider, in-memory audit) holding the sim
//! account's key as a `Venue::Sim` credential, and the Binance adapter pointed at both.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde_json::Value;
use tradeward_audit::MemoryAuditSink;
use tradeward_domain::{CredentialId, Symbol, Venue};
use tradeward_exchange::binance::{BinanceConfig, BinanceExecution, BinanceHttp};
use tradeward_exchange::{BackoffConfig, SystemClock};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_sim::{spawn, SimConfig, SimHandle};
use tradeward_store::NewUser;
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

pub const KEY: &str = "exchangetestkey0000000000000000000000000000000000000000000001";
pub const SECRET: &str = "exchangetestsecret000000000000000000000000000000000000000001";

pub fn sim_config() -> SimConfig {
    SimConfig::from_toml(&format!(
        r#"
seed = 11
[[market]]
symbol = "BTCUSDT"
base = "BTC"
quote = "USDT"
price = "50000"
tick_size = "0.01"
step_size = "0.00001"
min_notional = "5"
[[market]]
symbol = "ETHUSDT"
base = "ETH"
quote = "USDT"
price = "3000"
tick_size = "0.01"
step_size = "0.0001"
min_notional = "5"
[[account]]
api_key = "{KEY}"
secret = "{SECRET}"
balances = {{ BTC = "1", USDT = "100000" }}
[price]
process = "static"
tick_ms = 50
"#
    ))
    .expect("test sim config")
}

pub struct World {
    pub sim: SimHandle,
    pub signer: Signer,
    pub audit: Arc<MemoryAuditSink>,
    pub credential: CredentialId,
    pub config: BinanceConfig,
    pub exec: Arc<BinanceExecution>,
    pub http: reqwest::Client,
    _dirs: tempfile::TempDir,
}

pub fn btc() -> Symbol {
    "BTC/USDT".parse().unwrap()
}

pub fn rng(seed: u64) -> Box<dyn RngCore + Send> {
    Box::new(StdRng::seed_from_u64(seed))
}

pub async fn world() -> World {
    let sim = spawn(sim_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("sim starts");
    let dirs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dirs.path().join("data")).unwrap();
    let store = tradeward_store::testing::fresh_sqlite(&dirs.path().join("data"))
        .await
        .unwrap();
    let provider = LocalKeyProvider::open_or_create(&dirs.path().join("kek")).unwrap();
    let audit = Arc::new(MemoryAuditSink::new());
    let user = store
        .create_user(&NewUser {
            email: "trader@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let signer = Signer::new(store, Vault::new(Arc::new(provider)), audit.clone());
    let ctx = CallContext::component("engine").for_user(user);
    let stored = signer
        .store_credential(
            &ctx,
            CredentialInput {
                owner: user,
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
    config.request_timeout = Duration::from_secs(5);
    let http = Arc::new(BinanceHttp::new(config.clone(), Arc::new(SystemClock)).unwrap());
    let exec = Arc::new(BinanceExecution::new(
        http,
        Arc::new(signer.clone()),
        stored.id,
        ctx,
    ));
    World {
        sim,
        signer,
        audit,
        credential: stored.id,
        config,
        exec,
        http: reqwest::Client::new(),
        _dirs: dirs,
    }
}

impl World {
    /// POSTs to the sim's control plane.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{}", self.sim.base_url(), path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "control {path}: {}", r.status());
        r.json().await.unwrap()
    }
}

/// Receives from `rx` until `pred` matches (5 s at most).
pub async fn until<T: std::fmt::Debug>(
    rx: &mut tokio::sync::mpsc::Receiver<T>,
    what: &str,
    mut pred: impl FnMut(&T) -> bool,
) -> T {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let item = rx.recv().await.expect("stream ended");
            if pred(&item) {
                return item;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}
