//! Bad and slow clients, IP restriction, WebSocket pings and stalls, replayed prices.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use common::*;
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn malformed_requests_get_binance_error_json() {
    let sim = start("").await;
    let c = Client::new(&sim);
    let cases = [
        ("/api/v3/depth", "symbol=BTCUSDT&limit=-1"),
        (
            "/api/v3/depth",
            "symbol=BTCUSDT&limit=99999999999999999999999",
        ),
        ("/api/v3/depth", "symbol=%FF%FE"),
        ("/api/v3/depth", "symbol="),
        ("/api/v3/trades", "symbol=BTC%00USDT"),
        ("/api/v3/klines", "symbol=BTCUSDT&interval=1m&startTime=abc"),
        ("/api/v3/ticker/price", "symbols=notjson"),
        ("/api/v3/ticker/price", "symbols=%5B1,2%5D"),
        (
            "/api/v3/exchangeInfo",
            "symbol=BTCUSDT&symbols=%5B%22ETHUSDT%22%5D",
        ),
        ("/api/v3/account", "timestamp=1&signature=zz"),
        (
            "/api/v3/order",
            "symbol=BTCUSDT&orderId=1&signature=&timestamp=",
        ),
    ];
    for (path, q) in cases {
        let a = c.public(path, q).await;
        assert!((400..500).contains(&a.status), "{path}?{q}: {}", a.status);
        assert!(
            a.json["code"].as_i64().unwrap() < 0,
            "{path}?{q}: {}",
            a.json
        );
        assert!(a.json["msg"].is_string());
    }
    // Garbage bodies on signed POSTs.
    for body in [
        "%%%",
        "a=1&a=2",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1e3&price=1",
        "\u{0}\u{1}",
    ] {
        let r = c
            .http
            .post(format!("{}/api/v3/order", c.base))
            .header("X-MBX-APIKEY", KEY)
            .body(body)
            .send()
            .await
            .unwrap();
        let a = answer(r).await;
        assert!((400..500).contains(&a.status), "{body:?}: {}", a.status);
    }
    // Wrong method.
    let r = answer(
        c.http
            .put(format!("{}/api/v3/depth", c.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    let sim = start("[server]\nheader_timeout_secs = 1\nbody_timeout_secs = 1").await;
    // Headers never finished.
    let mut s = tokio::net::TcpStream::connect(sim.addr).await.unwrap();
    s.write_all(b"GET /api/v3/ping HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(4), s.read_to_end(&mut buf)).await;
    assert!(r.is_ok(), "connection closed by the server");
    // Body promised but never sent.
    let mut s = tokio::net::TcpStream::connect(sim.addr).await.unwrap();
    s.write_all(b"POST /api/v3/order HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nsymbol=")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(4), s.read_to_end(&mut buf)).await;
    assert!(r.is_ok(), "connection answered and closed");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":-1007"), "{text}");
}

#[tokio::test]
async fn ip_restricted_keys_refuse_other_addresses() {
    let extra = format!(
        "[[account]]\napi_key = \"restricted1\"\nsecret = \"{SECRET}\"\nip_restrict = true\nallowed_ips = [\"192.0.2.7\"]\n\
         [[account]]\napi_key = \"restricted2\"\nsecret = \"{SECRET}\"\nip_restrict = true\n"
    );
    let mut toml = config_toml("");
    toml.push_str(&extra);
    let sim = start_with(tradeward_sim::SimConfig::from_toml(&toml).unwrap()).await;
    let far = Client {
        key: "restricted1".into(),
        ..Client::new(&sim)
    };
    let a = far.signed("GET", "/api/v3/account", "").await;
    assert_eq!((a.status, a.json["code"].as_i64()), (401, Some(-2015)));
    let near = Client {
        key: "restricted2".into(),
        ..Client::new(&sim)
    };
    assert_eq!(near.signed("GET", "/api/v3/account", "").await.status, 200);
    assert_eq!(
        near.signed("GET", "/sapi/v1/account/apiRestrictions", "")
            .await
            .json["ipRestrict"],
        true
    );
}

#[tokio::test]
async fn server_pings_and_stalls() {
    let sim = start("[ws]\nping_interval_secs = 1").await;
    let (mut w, _) = tokio_tungstenite::connect_async(format!("{}/ws/btcusdt@trade", sim.ws_url()))
        .await
        .unwrap();
    let got_ping = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(Ok(m)) = w.next().await {
            if matches!(m, Message::Ping(_)) {
                return;
            }
        }
    })
    .await;
    assert!(got_ping.is_ok(), "server ping within 3 s");

    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{}{}", sim.base_url(), path))
            .json(&body)
            .send()
    };
    post("/sim/v1/faults", json!({"ws_stall": true}))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    post(
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "48000"}),
    )
    .await
    .unwrap();
    let stalled = tokio::time::timeout(Duration::from_millis(400), async {
        while let Some(Ok(m)) = w.next().await {
            if let Message::Text(t) = m {
                return t.to_string();
            }
        }
        String::new()
    })
    .await;
    assert!(stalled.is_err(), "nothing is delivered while stalled");
    post("/sim/v1/faults", json!({"ws_stall": false}))
        .await
        .unwrap();
    let resumed = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(Ok(m)) = w.next().await {
            if let Message::Text(t) = m {
                return t.to_string();
            }
        }
        String::new()
    })
    .await
    .unwrap();
    assert!(resumed.contains("\"e\":\"trade\""), "{resumed}");
}

#[tokio::test]
async fn replayed_prices_follow_the_tape() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("btc.csv"),
        "timestamp,price,qty\n1,50100,0.1\n2,50200,0.1\n3,50300,0.1\n",
    )
    .unwrap();
    let cfg_path = dir.path().join("sim.toml");
    let toml = config_toml("").replace(
        "[price]\nprocess = \"static\"\ntick_ms = 50",
        "[price]\nprocess = \"replay\"\ntick_ms = 20\nreplay = { BTCUSDT = \"btc.csv\" }",
    );
    std::fs::write(&cfg_path, toml).unwrap();
    let cfg = tradeward_sim::SimConfig::load(&cfg_path).unwrap();
    let sim = start_with(cfg).await;
    let c = Client::new(&sim);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let trades = c.public("/api/v3/trades", "symbol=BTCUSDT").await.json;
    let prices: Vec<rust_decimal::Decimal> = trades
        .as_array()
        .unwrap()
        .iter()
        .map(|t| dec(&t["price"]))
        .collect();
    for p in ["50100", "50200", "50300"] {
        assert!(prices.contains(&p.parse().unwrap()), "{p} in {prices:?}");
    }
}
