//! Shared helpers of the sim's integration tests: a config with known keys, a started sim on
//! an ephemeral port, and a signing HTTP client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{SystemTime, UNIX_EPOCH};
use tradeward_sim::{spawn, SimConfig, SimHandle};

pub const KEY: &str = "testkey0000000000000000000000000000000000000000000000000000001";
pub const SECRET: &str = "testsecret000000000000000000000000000000000000000000000000001";
pub const READONLY_KEY: &str = "readonlykey00000000000000000000000000000000000000000000000002";

pub fn config_toml(extra: &str) -> String {
    format!(
        r#"
seed = 7
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
[[account]]
api_key = "{READONLY_KEY}"
secret = "{SECRET}"
can_trade = false
can_withdraw = true
balances = {{ USDT = "10" }}
[price]
process = "static"
tick_ms = 50
{extra}
"#
    )
}

pub fn config(extra: &str) -> SimConfig {
    SimConfig::from_toml(&config_toml(extra)).expect("test config is valid")
}

pub async fn start(extra: &str) -> SimHandle {
    start_with(config(extra)).await
}

pub async fn start_with(cfg: SimConfig) -> SimHandle {
    spawn(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("sim starts")
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

pub fn sign(secret: &str, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A client that signs like Binance's docs: params in the query (GET/DELETE) or body (POST).
pub struct Client {
    pub base: String,
    pub key: String,
    pub secret: String,
    pub http: reqwest::Client,
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: serde_json::Value,
}

impl Client {
    pub fn new(sim: &SimHandle) -> Self {
        Self {
            base: sim.base_url(),
            key: KEY.into(),
            secret: SECRET.into(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn public(&self, path: &str, query: &str) -> Answer {
        let url = format!("{}{}?{}", self.base, path, query);
        answer(self.http.get(url).send().await.unwrap()).await
    }

    pub async fn signed(&self, method: &str, path: &str, params: &str) -> Answer {
        let payload = if params.is_empty() {
            format!("timestamp={}", now_ms())
        } else {
            format!("{params}&timestamp={}", now_ms())
        };
        self.raw_signed(method, path, &payload, &sign(&self.secret, &payload))
            .await
    }

    pub async fn raw_signed(&self, method: &str, path: &str, payload: &str, sig: &str) -> Answer {
        let full = format!("{payload}&signature={sig}");
        let rb = match method {
            "POST" => self
                .http
                .post(format!("{}{}", self.base, path))
                .body(full)
                .header("content-type", "application/x-www-form-urlencoded"),
            "DELETE" => self.http.delete(format!("{}{}?{}", self.base, path, full)),
            "PUT" => self.http.put(format!("{}{}?{}", self.base, path, full)),
            _ => self.http.get(format!("{}{}?{}", self.base, path, full)),
        };
        answer(rb.header("X-MBX-APIKEY", &self.key).send().await.unwrap()).await
    }
}

pub async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let json =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    Answer {
        status,
        headers,
        json,
    }
}

pub fn dec(v: &serde_json::Value) -> rust_decimal::Decimal {
    v.as_str()
        .expect("decimal string")
        .parse()
        .expect("decimal")
}

pub fn balance(
    account: &serde_json::Value,
    asset: &str,
) -> (rust_decimal::Decimal, rust_decimal::Decimal) {
    let b = account["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == asset)
        .expect("asset listed");
    (dec(&b["free"]), dec(&b["locked"]))
}
