//! The sim's Coinbase Advanced Trade dialect over HTTP: JWTs are checked like Coinbase checks
//! them (signature, key, issuer, validity window, the request they name), with Coinbase's
//! answers, and an order's refusal comes back as `success: false` in Coinbase's shape.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::*;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{json, Value};

const KEY: &str = "coinbasekey1";

fn sk() -> SigningKey {
    SigningKey::from_bytes(&[5u8; 32])
}

async fn sim() -> tradeward_sim::SimHandle {
    let public = STANDARD.encode(sk().verifying_key().as_bytes());
    start(&format!(
        "[[account]]\napi_key = \"{KEY}\"\ned25519_public_key = \"{public}\"\nbalances = {{ USDT = \"1000\" }}\n"
    ))
    .await
}

fn jwt(key: &SigningKey, header: Value, claims: Value) -> String {
    let mut t = URL_SAFE_NO_PAD.encode(header.to_string());
    t.push('.');
    t.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let sig = key.sign(t.as_bytes());
    t.push('.');
    t.push_str(&URL_SAFE_NO_PAD.encode(sig.to_bytes()));
    t
}

fn token(uri: &str, nbf_offset: i64) -> String {
    let now = (now_ms() / 1000) as i64 + nbf_offset;
    jwt(
        &sk(),
        json!({"alg": "EdDSA", "kid": KEY, "nonce": "00", "typ": "JWT"}),
        json!({"sub": KEY, "iss": "cdp", "nbf": now, "exp": now + 120, "uri": uri}),
    )
}

async fn get(sim: &tradeward_sim::SimHandle, path: &str, token: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn tokens_are_checked_like_coinbase_checks_them() {
    let sim = sim().await;
    let path = "/api/v3/brokerage/accounts";
    let good = token(&format!("GET api.coinbase.com{path}"), 0);
    let (status, body) = get(&sim, path, &good).await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let usdt = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["currency"] == "USDT")
        .expect("a USDT account");
    assert_eq!(usdt["available_balance"]["value"], "1000");

    let other_path = token(
        "GET api.coinbase.com/api/v3/brokerage/orders/historical/batch",
        0,
    );
    let expired = token(&format!("GET api.coinbase.com{path}"), -600);
    let wrong_method = token(&format!("POST api.coinbase.com{path}"), 0);
    let other_key = {
        let now = (now_ms() / 1000) as i64;
        jwt(
            &SigningKey::from_bytes(&[6u8; 32]),
            json!({"alg": "EdDSA", "kid": KEY, "nonce": "00", "typ": "JWT"}),
            json!({"sub": KEY, "iss": "cdp", "nbf": now, "exp": now + 120, "uri": format!("GET api.coinbase.com{path}")}),
        )
    };
    let too_long = {
        let now = (now_ms() / 1000) as i64;
        jwt(
            &sk(),
            json!({"alg": "EdDSA", "kid": KEY, "typ": "JWT"}),
            json!({"sub": KEY, "iss": "cdp", "nbf": now, "exp": now + 3600, "uri": format!("GET api.coinbase.com{path}")}),
        )
    };
    let mut tampered = good.clone();
    tampered.insert(good.find('.').unwrap() + 3, 'A');
    for (what, t) in [
        ("another path", other_path),
        ("expired", expired),
        ("another method", wrong_method),
        ("signed by another key", other_key),
        ("living an hour", too_long),
        ("tampered", tampered),
        ("garbage", "not.a.jwt".to_owned()),
    ] {
        let (status, body) = get(&sim, path, &t).await;
        assert_eq!((status, body.trim()), (401, "Unauthorized"), "{what}");
    }
    // A key may always read its own permissions.
    let kp = "/api/v3/brokerage/key_permissions";
    let (status, body) = get(&sim, kp, &token(&format!("GET api.coinbase.com{kp}"), 0)).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            v["can_view"].clone(),
            v["can_trade"].clone(),
            v["can_transfer"].clone()
        ),
        (json!(true), json!(true), json!(false))
    );
    sim.stop().await.unwrap();
}

#[tokio::test]
async fn refused_orders_answer_success_false() {
    let sim = sim().await;
    let path = "/api/v3/brokerage/orders";
    let body = json!({
        "client_order_id": "c-1",
        "product_id": "BTC-USDT",
        "side": "BUY",
        "order_configuration": {"limit_limit_gtc": {"base_size": "1", "limit_price": "40000", "post_only": false}},
    });
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(token(&format!("POST api.coinbase.com{path}"), 0))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], false, "{v}");
    assert_eq!(v["error_response"]["error"], "INSUFFICIENT_FUND", "{v}");
    sim.stop().await.unwrap();
}
