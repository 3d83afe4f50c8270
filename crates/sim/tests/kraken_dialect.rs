//! The sim's Kraken Spot dialect over HTTP: the signature rule checked against Kraken's own
//! published example, nonce and key errors in Kraken's words, public market data shapes,
//! and an order's life (AddOrder, OpenOrders, QueryOrders, CancelOrder) through the engine.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::*;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

/// Kraken's documented example key ("Spot REST authentication" guide).
const DOC_SECRET: &str =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
const DOC_POST: &str =
    "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
const DOC_SIGN: &str =
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==";
const KR_KEY: &str = "krakenkey1";
const KR_RO_KEY: &str = "krakenreadonly1";

async fn sim() -> tradeward_sim::SimHandle {
    start(&format!(
        "[[account]]\napi_key = \"{KR_KEY}\"\nsecret = \"{DOC_SECRET}\"\nbalances = {{ BTC = \"2\", USDT = \"100000\" }}\n\
         [[account]]\napi_key = \"{KR_RO_KEY}\"\nsecret = \"{DOC_SECRET}\"\ncan_trade = false\ncan_withdraw = true\nbalances = {{ USDT = \"5\" }}\n"
    ))
    .await
}

fn sign(path: &str, nonce: &str, body: &str) -> String {
    let digest = Sha256::new()
        .chain_update(nonce.as_bytes())
        .chain_update(body.as_bytes())
        .finalize();
    let mut mac = Hmac::<Sha512>::new_from_slice(&STANDARD.decode(DOC_SECRET).unwrap()).unwrap();
    mac.update(path.as_bytes());
    mac.update(&digest);
    STANDARD.encode(mac.finalize().into_bytes())
}

async fn raw(
    sim: &tradeward_sim::SimHandle,
    key: &str,
    path: &str,
    body: &str,
    sig: &str,
) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .header("API-Key", key)
        .header("API-Sign", sig)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "Kraken answers errors with 200 too");
    r.json().await.unwrap()
}

static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

async fn private(sim: &tradeward_sim::SimHandle, key: &str, method: &str, params: &str) -> Value {
    // Microseconds plus a counter: strictly increasing within the test binary.
    let n = NONCE.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + now_ms() * 1000;
    let nonce = n.to_string();
    let body = if params.is_empty() {
        format!("nonce={nonce}")
    } else {
        format!("nonce={nonce}&{params}")
    };
    let path = format!("/0/private/{method}");
    let sig = sign(&path, &nonce, &body);
    raw(sim, key, &path, &body, &sig).await
}

async fn public(sim: &tradeward_sim::SimHandle, method: &str, query: &str) -> Value {
    reqwest::get(format!("{}/0/public/{method}?{query}", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn errors(v: &Value) -> Vec<String> {
    v["error"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn kraken_documented_signature_is_accepted_and_errors_use_krakens_strings() {
    let sim = sim().await;
    let path = "/0/private/AddOrder";
    // Kraken's own example request and signature: the signature is accepted, and the
    // example's pair (XBTUSD) is not a sim market, so the answer is the pair error.
    let v = raw(&sim, KR_KEY, path, DOC_POST, DOC_SIGN).await;
    assert_eq!(errors(&v), ["EQuery:Unknown asset pair"], "{v}");
    // The same nonce again.
    let v = raw(&sim, KR_KEY, path, DOC_POST, DOC_SIGN).await;
    assert_eq!(errors(&v), ["EAPI:Invalid nonce"], "{v}");
    // One byte of the body changed.
    let tampered = DOC_POST.replace("1.25", "1.26");
    let v = raw(&sim, KR_KEY, path, &tampered, DOC_SIGN).await;
    assert_eq!(errors(&v), ["EAPI:Invalid signature"], "{v}");
    let v = raw(&sim, "nosuchkey", path, DOC_POST, DOC_SIGN).await;
    assert_eq!(errors(&v), ["EAPI:Invalid key"], "{v}");
    // Binance-style secrets are not base64 of a Kraken key: such keys are invalid here.
    let v = raw(&sim, KEY, path, DOC_POST, DOC_SIGN).await;
    assert_eq!(errors(&v), ["EAPI:Invalid key"], "{v}");
    // Signed for another path.
    let body = format!("nonce={}", now_ms() * 1000);
    let sig = sign("/0/private/Balance", &(now_ms() * 1000).to_string(), &body);
    let v = raw(&sim, KR_KEY, "/0/private/BalanceEx", &body, &sig).await;
    assert_eq!(errors(&v), ["EAPI:Invalid signature"], "{v}");
    let v = private(
        &sim,
        KR_RO_KEY,
        "AddOrder",
        "pair=BTCUSDT&type=buy&ordertype=market&volume=0.001",
    )
    .await;
    assert_eq!(errors(&v), ["EGeneral:Permission denied"], "{v}");
    let v = private(&sim, KR_KEY, "Withdraw", "asset=BTC&key=x&amount=1").await;
    assert_eq!(errors(&v), ["EGeneral:Unknown method"], "{v}");
    let v = private(
        &sim,
        KR_KEY,
        "AddOrder",
        "pair=BTCUSDT&type=buy&ordertype=limit&volume=0.001",
    )
    .await;
    assert_eq!(errors(&v), ["EGeneral:Invalid arguments:price"], "{v}");
    let v = private(
        &sim,
        KR_KEY,
        "AddOrder",
        "pair=BTCUSDT&type=buy&ordertype=limit&price=40000&volume=1000",
    )
    .await;
    assert_eq!(errors(&v), ["EOrder:Insufficient funds"], "{v}");
    sim.stop().await.unwrap();
}

#[tokio::test]
async fn public_market_data_has_krakens_shapes() {
    let sim = sim().await;
    let t = public(&sim, "Time", "").await;
    let unix = t["result"]["unixtime"].as_u64().unwrap();
    assert!(unix.abs_diff(now_ms() / 1000) <= 2, "{t}");
    assert!(t["result"]["rfc1123"].as_str().unwrap().ends_with("+0000"));
    let p = public(&sim, "AssetPairs", "pair=BTCUSDT").await;
    let btc = &p["result"]["BTCUSDT"];
    assert_eq!(btc["wsname"], "BTC/USDT");
    assert_eq!(btc["base"], "BTC");
    assert_eq!(btc["quote"], "USDT");
    assert_eq!(btc["pair_decimals"], 2);
    assert_eq!(btc["lot_decimals"], 5);
    assert_eq!(btc["tick_size"], "0.01");
    assert_eq!(btc["costmin"], "5");
    assert_eq!(btc["status"], "online");
    let bad = public(&sim, "AssetPairs", "pair=XBTUSD").await;
    assert_eq!(errors(&bad), ["EQuery:Unknown asset pair"]);
    let tk = public(&sim, "Ticker", "pair=BTCUSDT").await;
    let r = &tk["result"]["BTCUSDT"];
    let ask: f64 = r["a"][0].as_str().unwrap().parse().unwrap();
    let bid: f64 = r["b"][0].as_str().unwrap().parse().unwrap();
    assert!(bid < ask && bid > 0.0, "{tk}");
    let d = public(&sim, "Depth", "pair=BTC/USDT&count=3").await;
    let book = &d["result"]["BTCUSDT"];
    assert_eq!(book["asks"].as_array().unwrap().len(), 3, "{d}");
    assert_eq!(
        book["bids"][0][0], r["b"][0],
        "best bid agrees with the ticker"
    );
    let a = public(&sim, "Assets", "").await;
    assert_eq!(a["result"]["USDT"]["status"], "enabled");
    let unknown = public(&sim, "Spreadz", "").await;
    assert_eq!(errors(&unknown), ["EGeneral:Unknown method"]);
    sim.stop().await.unwrap();
}

#[tokio::test]
async fn an_order_lives_and_dies_through_the_engine() {
    let sim = sim().await;
    let v = private(
        &sim,
        KR_KEY,
        "AddOrder",
        "pair=BTCUSDT&type=buy&ordertype=limit&price=40000&volume=0.5&cl_ord_id=my-order-1",
    )
    .await;
    assert!(errors(&v).is_empty(), "{v}");
    assert_eq!(
        v["result"]["descr"]["order"],
        "buy 0.50000000 BTCUSDT @ limit 40000.00"
    );
    let txid = v["result"]["txid"][0].as_str().unwrap().to_owned();
    assert_eq!(txid.len(), 19);
    let b = private(&sim, KR_KEY, "BalanceEx", "").await;
    assert_eq!(b["result"]["USDT"]["hold_trade"], "20000.0000000000", "{b}");
    assert_eq!(b["result"]["USDT"]["balance"], "100000.0000000000", "{b}");
    let o = private(&sim, KR_KEY, "OpenOrders", "").await;
    let open = &o["result"]["open"][&txid];
    assert_eq!(open["status"], "open", "{o}");
    assert_eq!(open["cl_ord_id"], "my-order-1");
    assert_eq!(open["vol"], "0.50000000");
    assert_eq!(open["descr"]["price"], "40000.00");
    // Duplicate client id of an open order.
    let dup = private(
        &sim,
        KR_KEY,
        "AddOrder",
        "pair=BTCUSDT&type=buy&ordertype=limit&price=40000&volume=0.1&cl_ord_id=my-order-1",
    )
    .await;
    assert_eq!(errors(&dup), ["EOrder:Duplicate order"]);
    let c = private(&sim, KR_KEY, "CancelOrder", "cl_ord_id=my-order-1").await;
    assert_eq!(c["result"]["count"], 1, "{c}");
    let q = private(&sim, KR_KEY, "QueryOrders", &format!("txid={txid}")).await;
    assert_eq!(q["result"][&txid]["status"], "canceled", "{q}");
    let again = private(&sim, KR_KEY, "CancelOrder", &format!("txid={txid}")).await;
    assert_eq!(errors(&again), ["EOrder:Unknown order"]);
    // A market sell fills against the house and closes.
    let m = private(
        &sim,
        KR_KEY,
        "AddOrder",
        "pair=BTCUSDT&type=sell&ordertype=market&volume=0.01",
    )
    .await;
    let mtx = m["result"]["txid"][0].as_str().unwrap().to_owned();
    let q = private(&sim, KR_KEY, "QueryOrders", &format!("txid={mtx}")).await;
    assert_eq!(q["result"][&mtx]["status"], "closed", "{q}");
    assert_eq!(q["result"][&mtx]["vol_exec"], "0.01000000");
    let closed = private(&sim, KR_KEY, "ClosedOrders", "").await;
    assert_eq!(closed["result"]["count"], 2, "{closed}");
    let info = private(&sim, KR_RO_KEY, "GetApiKeyInfo", "").await;
    let perms: Vec<&str> = info["result"]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        perms.contains(&"withdraw-funds") && !perms.contains(&"modify-trades"),
        "{info}"
    );
    assert_eq!(info["result"]["ipAllowlist"], serde_json::json!([]));
    sim.stop().await.unwrap();
}
