//! `/api/v1/triggers` end to end: a real server (TLS, SQLite and PostgreSQL), the real trigger
//! engine and the real simulator over HTTP/WebSocket. Arming needs the trade scope and a second
//! factor; bad input is refused with a clear error and nothing is armed; an armed stop-limit
//! fires once when the sim's price crosses it; cancel, and someone else's trigger is not found.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{enrol_totp, fast_config, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tradeward_auth::{AuthService, Role};
use tradeward_domain::{UserId, Venue};
use tradeward_engine::service::{
    BinanceConfig, BinanceVenues, EngineService, ServiceConfig, SystemClock,
};
use tradeward_engine::{MarketKey, PriceSource};
use tradeward_server::{
    router, AppState, BoundServer, Clock, HttpSettings, ServerCert, ServerConfig, TlsMode,
};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_sim::SimConfig;
use tradeward_store::Store;
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

const KEY: &str = "apitestkey0000000000000000000000000000000000000000000000000001";
const SECRET: &str = "apitestsecret000000000000000000000000000000000000000000000001";

fn sim_config() -> SimConfig {
    SimConfig::from_toml(&format!(
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
[[account]]
api_key = "{KEY}"
secret = "{SECRET}"
balances = {{ BTC = "10", USDT = "1000000" }}
[price]
process = "static"
tick_ms = 50
"#
    ))
    .unwrap()
}

struct World {
    srv: TestServer,
    sim: tradeward_sim::SimHandle,
    engine: Arc<EngineService>,
    signer: Signer,
    http: reqwest::Client,
}

async fn world(store: Store, dir: tempfile::TempDir) -> World {
    let sim = tradeward_sim::spawn(sim_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let vault = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&dir.path().join("kek")).unwrap(),
    ));
    let audit = Arc::new(tradeward_audit::MemoryAuditSink::new());
    let auth = AuthService::new(store.clone(), vault.clone(), audit.clone(), fast_config())
        .await
        .unwrap();
    let signer = Signer::new(store.clone(), vault, audit.clone());
    let venues = BinanceVenues::new(
        store.clone(),
        Arc::new(signer.clone()),
        Arc::new(SystemClock),
        vec![(
            Venue::Sim,
            BinanceConfig::sim(&sim.base_url(), &sim.ws_url()),
        )],
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
    let clock = common::manual_clock(tradeward_server::SystemClock.now_us());
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let state = AppState::new(
        auth.clone(),
        Arc::new(signer.clone()),
        store.clone(),
        audit.clone(),
        clock.clone(),
        HttpSettings::from_config(&config),
    );
    assert!(state.attach_engine(engine.clone()));
    let cert = ServerCert::load(&TlsMode::SelfSigned {
        dir: dir.path().join("data.tls"),
    })
    .unwrap()
    .unwrap();
    let bound = BoundServer::bind(
        config.listen,
        Some(&cert),
        router(state),
        config.header_timeout(),
    )
    .await
    .unwrap();
    let addr = bound.local_addr().unwrap();
    tokio::spawn(bound.run(std::future::pending()));
    World {
        srv: TestServer {
            addr,
            base: format!("https://localhost:{}", addr.port()),
            cert_der: cert.chain[0].as_ref().to_vec(),
            fingerprint: cert.fingerprint,
            auth,
            store,
            audit,
            clock,
            dir,
        },
        sim,
        engine,
        signer,
        http: reqwest::Client::new(),
    }
}

impl World {
    async fn credential(&self, owner: UserId) -> String {
        self.signer
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
            .id
            .to_string()
    }

    async fn trade(&self, price: &str) {
        let r = self
            .http
            .post(format!("{}/sim/v1/trade", self.sim.base_url()))
            .json(&json!({"symbol": "BTCUSDT", "price": price}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    async fn sim_orders(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/sim/v1/orders", self.sim.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Watches BTC/USDT and trades until the engine has a price.
    async fn prime(&self) {
        let key = MarketKey {
            venue: Venue::Sim,
            symbol: "BTC/USDT".parse().unwrap(),
        };
        self.engine.watch_market(&key).await.unwrap();
        for _ in 0..100 {
            self.trade("50000").await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            if self.engine.price(&key, PriceSource::Last).await.is_some() {
                return;
            }
        }
        panic!("no price reached the engine");
    }
}

macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let store = tradeward_store::testing::fresh_sqlite(dir.path())
                    .await
                    .unwrap();
                ($body)(world(store, dir).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let dir = tempfile::tempdir().unwrap();
                let store = tradeward_store::testing::fresh_postgres()
                    .await
                    .expect("PostgreSQL must be reachable for the suite");
                ($body)(world(store, dir).await).await;
            }
        }
    };
}

fn stop_limit(credential: &str, stop: &str) -> Value {
    json!({
        "credential_id": credential,
        "symbol": "BTC/USDT",
        "kind": "stop_limit",
        "side": "sell",
        "quantity": "0.01",
        "stop_price": stop,
        "limit_offset": "10",
        "client_id": "my-stop"
    })
}

on_both!(arm_list_fire_cancel, |w: World| async move {
    w.prime().await;
    let alice = w
        .srv
        .user("alice@example.com", "correct horse battery 1", Role::User)
        .await;
    let bob = w
        .srv
        .user("bob@example.com", "correct horse battery 2", Role::User)
        .await;
    let cred = w.credential(alice).await;
    let bobs_cred = w.credential(bob).await;
    let mut c = w.srv.client();
    let r = c
        .login("alice@example.com", "correct horse battery 1")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // No second factor yet: nothing is armed.
    let r = c.post("/triggers", stop_limit(&cred, "49000")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "second_factor_required");
    enrol_totp(&w.srv, &mut c).await;

    // Bad input: a clear error each time, nothing armed.
    let bad = [
        (
            stop_limit(&cred, "51000"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_trigger",
            "below the current price",
        ),
        (
            {
                let mut b = stop_limit(&cred, "49000");
                b["quantity"] = json!("0.000001");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_trigger",
            "step size",
        ),
        (
            {
                let mut b = stop_limit(&cred, "49000");
                b["symbol"] = json!("DOGE/USDT");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_symbol",
            "does not list",
        ),
        (
            stop_limit(&bobs_cred, "49000"),
            StatusCode::NOT_FOUND,
            "not_found",
            "credential",
        ),
        (
            {
                let mut b = stop_limit(&cred, "49000");
                b.as_object_mut().unwrap().remove("stop_price");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            "stop_price",
        ),
        (
            {
                let mut b = stop_limit(&cred, "49000");
                b["kind"] = json!("moon_shot");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "kind",
        ),
    ];
    for (body, status, code, text) in bad {
        let r = c.post("/triggers", body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert_eq!(r.code(), code, "{}", r.body);
        assert!(r.body.contains(text), "{text:?} in {}", r.body);
    }
    assert_eq!(w.engine.armed_legs().await, 0);

    // Armed and stored before 201.
    let r = c.post("/triggers", stop_limit(&cred, "49000")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let t = r.json();
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(t["state"], "armed");
    assert_eq!(t["client_id"], "my-stop");
    assert_eq!(t["live_legs"][0]["status"], "armed");
    assert!(w
        .srv
        .store
        .trigger(id.parse().unwrap())
        .await
        .unwrap()
        .is_some());

    // An OCO and a trailing stop arm too; then one is cancelled.
    let oco = json!({
        "credential_id": cred, "symbol": "BTC/USDT", "kind": "oco",
        "legs": [
            {"kind": "stop_market", "side": "sell", "quantity": "0.01", "stop_price": "45000"},
            {"kind": "take_profit_limit", "side": "sell", "quantity": "0.01",
             "stop_price": "60000", "limit_price": "60000"}
        ]
    });
    let r = c.post("/triggers", oco).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let oco_id = r.json()["id"].as_str().unwrap().to_owned();
    let trailing = json!({
        "credential_id": cred, "symbol": "BTC/USDT", "kind": "trailing_stop",
        "side": "sell", "quantity": "0.01", "trail": {"percent": "5"}
    });
    let r = c.post("/triggers", trailing).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["live_legs"][0]["status"], "trailing");

    let r = c.delete(&format!("/triggers/{oco_id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = c.delete(&format!("/triggers/{oco_id}")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "not_armed");

    let r = c.get("/triggers").await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.json();
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(list[1]["state"], "cancelled");

    // Bob sees none of it.
    let mut cb = w.srv.client();
    cb.login("bob@example.com", "correct horse battery 2").await;
    assert_eq!(
        cb.get("/triggers").await.json().as_array().unwrap().len(),
        0
    );
    assert_eq!(
        cb.get(&format!("/triggers/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        cb.delete(&format!("/triggers/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    // The sim's price crosses the stop: one order, and the API shows it.
    w.trade("48500").await;
    let mut fired = Value::Null;
    for _ in 0..200 {
        fired = c.get(&format!("/triggers/{id}")).await.json();
        if fired["state"] == "fired" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fired["state"], "fired", "{fired}");
    assert_eq!(fired["orders"][0]["leg"], 0);
    let coid = fired["orders"][0]["client_order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let orders = w.sim_orders().await;
    let mine: Vec<&Value> = orders
        .iter()
        .filter(|o| o["client_order_id"] == coid.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{orders:?}");
    assert_eq!(mine[0]["type"], "LIMIT");

    // Documented in the OpenAPI document.
    let doc = c.get("/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/triggers"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/triggers/{id}"]["delete"].is_object());
});
