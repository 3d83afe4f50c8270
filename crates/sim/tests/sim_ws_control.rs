//! WebSocket streams, the control plane, faults and snapshots, end to end.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use common::*;
use futures::{SinkExt, StreamExt};
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connects")
        .0
}

/// Next text message matching `pred`, within 3 s.
async fn next_json(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("message within 3 s");
        if let Some(Ok(Message::Text(t))) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if pred(&v) {
                return v;
            }
        } else if msg.is_none() {
            panic!("connection closed");
        }
    }
}

async fn control(sim: &tradeward_sim::SimHandle, path: &str, body: Value) -> Answer {
    let r = reqwest::Client::new()
        .post(format!("{}{}", sim.base_url(), path))
        .json(&body)
        .send()
        .await
        .unwrap();
    answer(r).await
}

#[tokio::test]
async fn trade_stream_sees_control_plane_trade() {
    let sim = start("").await;
    let mut w = ws(&format!("{}/ws/btcusdt@trade", sim.ws_url())).await;
    let r = control(
        &sim,
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "49000"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let t = next_json(&mut w, |v| v["e"] == "trade").await;
    assert_eq!(t["s"], "BTCUSDT");
    assert_eq!(dec(&t["p"]), dec!(49000));
    let c = Client::new(&sim);
    assert_eq!(
        dec(&c
            .public("/api/v3/ticker/price", "symbol=BTCUSDT")
            .await
            .json["price"]),
        dec!(49000)
    );
    let bad = control(
        &sim,
        "/sim/v1/trade",
        json!({"symbol": "NOPE", "price": "1"}),
    )
    .await;
    assert_eq!(bad.json["code"], -1121);
    let malformed = control(&sim, "/sim/v1/trade", json!({"symbol": "BTCUSDT"})).await;
    assert_eq!(
        (malformed.status, malformed.json["code"].as_i64()),
        (400, Some(-1102))
    );
}

#[tokio::test]
async fn combined_streams_and_subscriptions() {
    let sim = start("").await;
    let mut w = ws(&format!(
        "{}/stream?streams=btcusdt@bookTicker/ethusdt@depth5@100ms",
        sim.ws_url()
    ))
    .await;
    let d = next_json(&mut w, |v| v["stream"] == "ethusdt@depth5@100ms").await;
    assert_eq!(d["data"]["bids"].as_array().unwrap().len(), 5);
    control(
        &sim,
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "51000"}),
    )
    .await;
    let b = next_json(&mut w, |v| v["stream"] == "btcusdt@bookTicker").await;
    assert_eq!(b["data"]["s"], "BTCUSDT");
    assert!(dec(&b["data"]["a"]) > dec!(51000) - dec!(1));

    let mut raw = ws(&format!("{}/ws", sim.ws_url())).await;
    let send = |v: Value| Message::Text(v.to_string().into());
    raw.send(send(
        json!({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade", "btcusdt@depth"], "id": 1}),
    ))
    .await
    .unwrap();
    assert_eq!(
        next_json(&mut raw, |v| v["id"] == 1).await,
        json!({"result": null, "id": 1})
    );
    raw.send(send(json!({"method": "LIST_SUBSCRIPTIONS", "id": 2})))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut raw, |v| v["id"] == 2).await["result"],
        json!(["btcusdt@aggTrade", "btcusdt@depth"])
    );
    control(
        &sim,
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "50500"}),
    )
    .await;
    assert_eq!(
        next_json(&mut raw, |v| v["e"] == "aggTrade").await["s"],
        "BTCUSDT"
    );
    assert!(next_json(&mut raw, |v| v["e"] == "depthUpdate").await["u"].is_u64());
    raw.send(send(
        json!({"method": "UNSUBSCRIBE", "params": ["btcusdt@depth"], "id": 3}),
    ))
    .await
    .unwrap();
    next_json(&mut raw, |v| v["id"] == 3).await;
    raw.send(send(json!({"method": "NOPE", "id": 4})))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut raw, |v| v["id"] == 4).await["error"]["code"],
        2
    );
    raw.send(Message::Text("{not json".into())).await.unwrap();
    assert_eq!(
        next_json(&mut raw, |v| v.get("error").is_some()).await["error"]["code"],
        3
    );
    raw.send(send(
        json!({"method": "SUBSCRIBE", "params": ["nopeusdt@trade"], "id": 5}),
    ))
    .await
    .unwrap();
    assert_eq!(
        next_json(&mut raw, |v| v["id"] == 5).await["error"]["code"],
        2
    );
}

#[tokio::test]
async fn user_data_stream_reports_executions_and_balances() {
    let sim = start("").await;
    let c = Client::new(&sim);
    let r = c
        .http
        .post(format!("{}/api/v3/userDataStream", c.base))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap();
    let key = answer(r).await.json["listenKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(key.len(), 60);
    let mut w = ws(&format!("{}/ws/{key}", sim.ws_url())).await;
    let placed = c
        .signed(
            "POST",
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=uds-1",
        )
        .await;
    assert_eq!(placed.status, 200);
    let er = next_json(&mut w, |v| v["e"] == "executionReport" && v["x"] == "TRADE").await;
    assert_eq!(
        (er["c"].as_str(), er["S"].as_str(), er["s"].as_str()),
        (Some("uds-1"), Some("BUY"), Some("BTCUSDT"))
    );
    assert_eq!(er["C"], "", "no original client id outside cancels");
    let pos = next_json(&mut w, |v| v["e"] == "outboundAccountPosition").await;
    assert!(pos["B"].as_array().unwrap().iter().any(|b| b["a"] == "BTC"));

    // A cancel with its own newClientOrderId: "c" is the cancel's id, "C" the order's,
    // and the REST answer says the same (Binance's shape).
    let rest = c
        .signed(
            "POST",
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=40000&newClientOrderId=uds-2",
        )
        .await;
    assert_eq!(rest.status, 200);
    let cancel = c
        .signed(
            "DELETE",
            "/api/v3/order",
            "symbol=BTCUSDT&origClientOrderId=uds-2&newClientOrderId=cxl-2",
        )
        .await;
    assert_eq!(cancel.status, 200);
    assert_eq!(
        (
            cancel.json["clientOrderId"].as_str(),
            cancel.json["origClientOrderId"].as_str()
        ),
        (Some("cxl-2"), Some("uds-2"))
    );
    let er = next_json(&mut w, |v| {
        v["e"] == "executionReport" && v["x"] == "CANCELED"
    })
    .await;
    assert_eq!(
        (er["c"].as_str(), er["C"].as_str(), er["X"].as_str()),
        (Some("cxl-2"), Some("uds-2"), Some("CANCELED"))
    );
    // Without one, the sim generates the cancel's id: the stream and the answer agree.
    c.signed(
        "POST",
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=40000&newClientOrderId=uds-3",
    )
    .await;
    let cancel = c
        .signed(
            "DELETE",
            "/api/v3/order",
            "symbol=BTCUSDT&origClientOrderId=uds-3",
        )
        .await;
    let er = next_json(&mut w, |v| {
        v["e"] == "executionReport" && v["x"] == "CANCELED"
    })
    .await;
    assert_eq!(er["c"], cancel.json["clientOrderId"]);
    assert_eq!(er["C"], "uds-3");
    let put = c
        .http
        .put(format!("{}/api/v3/userDataStream?listenKey={key}", c.base))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(put).await.json, json!({}));
    let r = c
        .http
        .put(format!("{}/api/v3/userDataStream?listenKey=nope", c.base))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(r).await.json["code"], -1125);
}

#[tokio::test]
async fn order_log_times_arrivals_after_market_events() {
    let sim = start("").await;
    let c = Client::new(&sim);
    control(
        &sim,
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "50100"}),
    )
    .await;
    c.signed(
        "POST",
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=40000",
    )
    .await;
    c.signed(
        "POST",
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=1",
    )
    .await;
    let log = answer(
        reqwest::get(format!("{}/sim/v1/orders", sim.base_url()))
            .await
            .unwrap(),
    )
    .await
    .json;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["status"], 200);
    assert!(log[0]["order_id"].is_u64());
    assert_eq!(log[1]["code"], -1013);
    for e in log {
        let rx = e["received_at_us"].as_u64().unwrap();
        let mk = e["market_event_at_us"].as_u64().unwrap();
        assert!(mk <= rx && rx - mk < 5_000_000, "{e}");
    }
    assert!(log[0]["seq"].as_u64() < log[1]["seq"].as_u64());
}

#[tokio::test]
async fn faults_inject_errors_skew_and_drops() {
    let sim = start("").await;
    let c = Client::new(&sim);
    let f = control(&sim, "/sim/v1/faults", json!({"http_5xx_rate": 1.0})).await;
    assert_eq!(f.json["http_5xx_rate"], 1.0);
    let a = c.public("/api/v3/ping", "").await;
    assert_eq!((a.status, a.json["code"].as_i64()), (503, Some(-1001)));
    control(
        &sim,
        "/sim/v1/faults",
        json!({"reset": true, "http_429_rate": 1.0}),
    )
    .await;
    assert_eq!(c.public("/api/v3/ping", "").await.status, 429);
    control(
        &sim,
        "/sim/v1/faults",
        json!({"reset": true, "clock_skew_ms": -60000}),
    )
    .await;
    let t = c.public("/api/v3/time", "").await.json["serverTime"]
        .as_u64()
        .unwrap();
    assert!(now_ms() - t > 55_000);
    // With the sim's clock a minute behind, a correctly timed request is "ahead": -1021.
    assert_eq!(
        c.signed("GET", "/api/v3/account", "").await.json["code"],
        -1021
    );
    let bad = control(&sim, "/sim/v1/faults", json!({"http_5xx_rate": 2.0})).await;
    assert_eq!(bad.status, 400);
    let unknown = control(&sim, "/sim/v1/faults", json!({"nonsense": 1})).await;
    assert_eq!(unknown.status, 400);
    control(&sim, "/sim/v1/faults", json!({"reset": true})).await;

    let mut w = ws(&format!("{}/ws/btcusdt@trade", sim.ws_url())).await;
    control(&sim, "/sim/v1/faults", json!({"ws_drop_all": true})).await;
    let end = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match w.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(end.is_ok(), "connection dropped");
    let h = answer(
        reqwest::get(format!("{}/sim/v1/health", sim.base_url()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(h.json["status"], "ok");
}

#[tokio::test]
async fn kline_stream_closes_candles_on_time() {
    let sim = start("").await;
    let mut w = ws(&format!("{}/ws/btcusdt@kline_1m", sim.ws_url())).await;
    let r = control(
        &sim,
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "49000"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let open = next_json(&mut w, |v| v["e"] == "kline").await;
    assert_eq!(open["k"]["x"], false, "the candle of a fresh trade is open");
    let t = open["k"]["t"].as_u64().unwrap();
    // Two minutes later on the sim's clock, with no trade needed, the candle closes.
    control(&sim, "/sim/v1/faults", json!({"clock_skew_ms": 120000})).await;
    let closed = next_json(&mut w, |v| v["e"] == "kline" && v["k"]["x"] == true).await;
    assert_eq!(closed["k"]["t"].as_u64(), Some(t));
    assert_eq!(closed["k"]["T"].as_u64(), Some(t + 59_999));
    assert_eq!(closed["k"]["i"], "1m");
    assert_eq!(closed["s"], "BTCUSDT");
    assert!(closed["k"]["n"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn control_token_is_required_when_configured() {
    let sim = start("[control]\ntoken = \"tok-123\"").await;
    let url = format!("{}/sim/v1/health", sim.base_url());
    let http = reqwest::Client::new();
    assert_eq!(http.get(&url).send().await.unwrap().status(), 403);
    assert_eq!(
        http.get(&url)
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        http.get(&url)
            .bearer_auth("tok-123")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn snapshot_keeps_balances_and_orders_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.json");
    let extra = format!("snapshot = {:?}", path.to_str().unwrap());
    let mut cfg_text = config_toml("");
    // `snapshot` is a top-level key: it must come before the first table.
    cfg_text.insert_str(0, &format!("{extra}\n"));
    let cfg = tradeward_sim::SimConfig::from_toml(&cfg_text).unwrap();
    let sim = start_with(cfg.clone()).await;
    let c = Client::new(&sim);
    let placed = c
        .signed(
            "POST",
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=40000",
        )
        .await;
    let id = placed.json["orderId"].as_u64().unwrap();
    sim.stop().await.unwrap();
    assert!(path.exists());
    let sim = start_with(cfg).await;
    let c = Client::new(&sim);
    let acct = c.signed("GET", "/api/v3/account", "").await.json;
    assert_eq!(balance(&acct, "USDT"), (dec!(99600), dec!(400)));
    let q = c
        .signed(
            "GET",
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}"),
        )
        .await
        .json;
    assert_eq!(q["status"], "NEW");
}
