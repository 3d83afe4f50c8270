//! The Binance REST dialect end to end over HTTP: market data shapes, the signed order
//! lifecycle with balances, and Binance's error codes and statuses.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use common::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

#[tokio::test]
async fn market_data_endpoints_have_binance_shapes() {
    let sim = start("").await;
    let c = Client::new(&sim);
    assert_eq!(
        c.public("/api/v3/ping", "").await.json,
        serde_json::json!({})
    );
    let t = c.public("/api/v3/time", "").await.json["serverTime"]
        .as_u64()
        .unwrap();
    assert!(t.abs_diff(now_ms()) < 5000);

    let info = c.public("/api/v3/exchangeInfo", "").await;
    assert_eq!(info.status, 200);
    assert_eq!(
        info.headers["x-mbx-used-weight-1m"], "22",
        "ping 1 + time 1 + exchangeInfo 20"
    );
    let btc = &info.json["symbols"][0];
    assert_eq!(btc["symbol"], "BTCUSDT");
    assert_eq!(btc["baseAsset"], "BTC");
    let filters = btc["filters"].as_array().unwrap();
    let f = |t: &str| {
        filters
            .iter()
            .find(|f| f["filterType"] == t)
            .unwrap_or_else(|| panic!("{t}"))
            .clone()
    };
    assert_eq!(f("PRICE_FILTER")["tickSize"], "0.01000000");
    assert_eq!(f("LOT_SIZE")["stepSize"], "0.00001000");
    assert_eq!(f("NOTIONAL")["minNotional"], "5.00000000");
    assert_eq!(f("MIN_NOTIONAL")["minNotional"], "5.00000000");
    let one = c
        .public("/api/v3/exchangeInfo", "symbol=ETHUSDT")
        .await
        .json;
    assert_eq!(one["symbols"].as_array().unwrap().len(), 1);

    let depth = c
        .public("/api/v3/depth", "symbol=BTCUSDT&limit=5")
        .await
        .json;
    let bids = depth["bids"].as_array().unwrap();
    let asks = depth["asks"].as_array().unwrap();
    assert_eq!((bids.len(), asks.len()), (5, 5));
    assert!(dec(&bids[0][0]) < dec(&asks[0][0]));
    assert!(dec(&bids[0][0]) > dec(&bids[1][0]));

    let price = c
        .public("/api/v3/ticker/price", "symbol=BTCUSDT")
        .await
        .json;
    assert_eq!(dec(&price["price"]), dec!(50000));
    let all = c.public("/api/v3/ticker/price", "").await.json;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let bt = c
        .public("/api/v3/ticker/bookTicker", "symbol=BTCUSDT")
        .await
        .json;
    assert_eq!(bt["bidPrice"], bids[0][0]);
    assert_eq!(bt["askPrice"], asks[0][0]);
    let t24 = c.public("/api/v3/ticker/24hr", "symbol=BTCUSDT").await.json;
    assert_eq!(dec(&t24["lastPrice"]), dec!(50000));
    assert!(c
        .public("/api/v3/klines", "symbol=BTCUSDT&interval=1m")
        .await
        .json
        .is_array());
    assert!(c
        .public("/api/v3/trades", "symbol=BTCUSDT")
        .await
        .json
        .is_array());
}

#[tokio::test]
async fn limit_and_market_orders_move_balances() {
    let sim = start("").await;
    let c = Client::new(&sim);
    let acct = c.signed("GET", "/api/v3/account", "").await;
    assert_eq!(acct.status, 200, "{}", acct.json);
    assert_eq!(balance(&acct.json, "USDT"), (dec!(100000), dec!(0)));
    assert_eq!(acct.json["canTrade"], true);

    // A resting LIMIT buy locks price × qty.
    let placed = c
        .signed("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=40000&newClientOrderId=mine-1")
        .await;
    assert_eq!(placed.status, 200, "{}", placed.json);
    assert_eq!(placed.json["clientOrderId"], "mine-1");
    assert_eq!(placed.json["status"], "NEW");
    assert!(placed.json["fills"].as_array().unwrap().is_empty());
    assert_eq!(placed.headers["x-mbx-order-count-10s"], "1");
    let id = placed.json["orderId"].as_u64().unwrap();
    let acct = c.signed("GET", "/api/v3/account", "").await.json;
    assert_eq!(balance(&acct, "USDT"), (dec!(99600), dec!(400)));

    let q = c
        .signed(
            "GET",
            "/api/v3/order",
            "symbol=BTCUSDT&origClientOrderId=mine-1",
        )
        .await
        .json;
    assert_eq!(q["orderId"].as_u64(), Some(id));
    assert_eq!(q["price"], "40000.00000000");
    let open = c
        .signed("GET", "/api/v3/openOrders", "symbol=BTCUSDT")
        .await
        .json;
    assert_eq!(open.as_array().unwrap().len(), 1);

    let canceled = c
        .signed(
            "DELETE",
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}"),
        )
        .await;
    assert_eq!(canceled.status, 200, "{}", canceled.json);
    assert_eq!(canceled.json["status"], "CANCELED");
    assert_eq!(canceled.json["origClientOrderId"], "mine-1");
    let acct = c.signed("GET", "/api/v3/account", "").await.json;
    assert_eq!(balance(&acct, "USDT"), (dec!(100000), dec!(0)));
    // Cancelling again: -2011; querying an unknown id: -2013.
    let again = c
        .signed(
            "DELETE",
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}"),
        )
        .await;
    assert_eq!(
        (again.status, again.json["code"].as_i64()),
        (400, Some(-2011))
    );
    let unknown = c
        .signed("GET", "/api/v3/order", "symbol=BTCUSDT&orderId=999999")
        .await;
    assert_eq!(unknown.json["code"], -2013);

    // A MARKET buy fills against the house; balances move by exactly the fills.
    let m = c
        .signed(
            "POST",
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1",
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.json);
    assert_eq!(m.json["status"], "FILLED");
    let fills = m.json["fills"].as_array().unwrap();
    assert!(!fills.is_empty());
    let qty: Decimal = fills.iter().map(|f| dec(&f["qty"])).sum();
    let commission: Decimal = fills.iter().map(|f| dec(&f["commission"])).sum();
    assert_eq!(fills[0]["commissionAsset"], "BTC");
    assert_eq!(qty, dec!(0.1));
    let spent = dec(&m.json["cummulativeQuoteQty"]);
    assert!(spent > dec!(4990) && spent < dec!(5010), "{spent}");
    let acct = c.signed("GET", "/api/v3/account", "").await.json;
    assert_eq!(balance(&acct, "BTC").0, dec!(1) + qty - commission);
    assert_eq!(balance(&acct, "USDT").0, dec!(100000) - spent);

    // Response types.
    let ack = c
        .signed(
            "POST",
            "/api/v3/order",
            "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01&newOrderRespType=ACK",
        )
        .await
        .json;
    assert!(ack.get("status").is_none() && ack["orderId"].is_u64());
    let res = c
        .signed(
            "POST",
            "/api/v3/order",
            "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01&newOrderRespType=RESULT",
        )
        .await
        .json;
    assert_eq!(res["status"], "FILLED");
    assert!(res.get("fills").is_none());

    let trades = c
        .signed("GET", "/api/v3/myTrades", "symbol=BTCUSDT")
        .await
        .json;
    assert!(trades.as_array().unwrap().len() >= 3);
    let all = c
        .signed("GET", "/api/v3/allOrders", "symbol=BTCUSDT")
        .await
        .json;
    assert_eq!(all.as_array().unwrap().len(), 4);
    let test = c
        .signed(
            "POST",
            "/api/v3/order/test",
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=40000",
        )
        .await;
    assert_eq!(
        (test.status, test.json.clone()),
        (200, serde_json::json!({}))
    );
    let restr = c
        .signed("GET", "/sapi/v1/account/apiRestrictions", "")
        .await
        .json;
    assert_eq!(
        (
            restr["enableWithdrawals"].as_bool(),
            restr["ipRestrict"].as_bool()
        ),
        (Some(false), Some(false))
    );
}

#[tokio::test]
async fn binance_error_codes_and_statuses() {
    let sim = start("").await;
    let c = Client::new(&sim);
    let code = |a: &Answer| (a.status, a.json["code"].as_i64().unwrap_or(0));

    // Wrong signature.
    let payload = format!("timestamp={}", now_ms());
    let bad = c
        .raw_signed(
            "GET",
            "/api/v3/account",
            &payload,
            &sign("not-the-secret", &payload),
        )
        .await;
    assert_eq!(code(&bad), (400, -1022));
    assert_eq!(bad.json["msg"], "Signature for this request is not valid.");
    // Old timestamp, validly signed.
    let old = format!("timestamp={}", now_ms() - 10_000);
    let stale = c
        .raw_signed("GET", "/api/v3/account", &old, &sign(SECRET, &old))
        .await;
    assert_eq!(code(&stale), (400, -1021));
    // Within an explicit recvWindow it passes.
    let ok = format!("recvWindow=20000&timestamp={}", now_ms() - 10_000);
    assert_eq!(
        c.raw_signed("GET", "/api/v3/account", &ok, &sign(SECRET, &ok))
            .await
            .status,
        200
    );
    // Missing signature / timestamp.
    let r = c
        .http
        .get(format!("{}/api/v3/account?timestamp={}", c.base, now_ms()))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap();
    let a = answer(r).await;
    assert_eq!(code(&a), (400, -1102));
    assert!(a.json["msg"].as_str().unwrap().contains("'signature'"));
    // Key header missing, unknown key, missing permission.
    let r = answer(
        c.http
            .get(format!(
                "{}/api/v3/account?timestamp=1&signature=00",
                c.base
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code(&r), (401, -2014));
    let other = Client {
        key: "unknownkey".into(),
        ..Client::new(&sim)
    };
    assert_eq!(
        code(&other.signed("GET", "/api/v3/account", "").await),
        (401, -2015)
    );
    let ro = Client {
        key: READONLY_KEY.into(),
        ..Client::new(&sim)
    };
    assert_eq!(ro.signed("GET", "/api/v3/account", "").await.status, 200);
    assert_eq!(
        code(
            &ro.signed(
                "POST",
                "/api/v3/order",
                "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001"
            )
            .await
        ),
        (401, -2015)
    );
    assert_eq!(
        ro.signed("GET", "/sapi/v1/account/apiRestrictions", "")
            .await
            .json["enableWithdrawals"],
        true
    );

    // Order validation.
    let place = |p: &'static str| c.signed("POST", "/api/v3/order", p);
    assert_eq!(
        code(&place("symbol=NOPEUSDT&side=BUY&type=MARKET&quantity=1").await),
        (400, -1121)
    );
    assert_eq!(
        code(
            &place(
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=40000.001"
            )
            .await
        ),
        (400, -1013)
    );
    assert_eq!(
        code(
            &place(
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00001&price=40000"
            )
            .await
        ),
        (400, -1013)
    );
    assert_eq!(
        code(
            &place("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=40000")
                .await
        ),
        (400, -2010)
    );
    assert_eq!(
        code(
            &place("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=abc&price=40000")
                .await
        ),
        (400, -1100)
    );
    assert_eq!(
        code(&place("symbol=BTCUSDT&type=MARKET&quantity=1").await),
        (400, -1102)
    );
    assert_eq!(
        code(&place("symbol=BTCUSDT&side=UP&type=MARKET&quantity=1").await),
        (400, -1117)
    );
    assert_eq!(code(&c.public("/api/v3/depth", "").await), (400, -1102));
    assert_eq!(
        code(
            &c.public("/api/v3/depth", "symbol=BTCUSDT&symbol=ETHUSDT")
                .await
        ),
        (400, -1101)
    );
    assert_eq!(
        code(
            &c.public("/api/v3/klines", "symbol=BTCUSDT&interval=7m")
                .await
        ),
        (400, -1120)
    );
    assert_eq!(code(&c.public("/api/v3/nope", "").await).0, 404);

    // Oversized body: cut off with Binance-style JSON.
    let big = "a=".to_string() + &"x".repeat(200_000);
    let r = answer(
        c.http
            .post(format!("{}/api/v3/order", c.base))
            .header("X-MBX-APIKEY", KEY)
            .body(big)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 413);
    assert!(r.json["code"].is_i64());
}

#[tokio::test]
async fn request_weight_limit_gives_429_then_418() {
    let sim =
        start("[rate_limits]\nrequest_weight_per_minute = 50\nban_after_429s = 3\nban_secs = 60")
            .await;
    let c = Client::new(&sim);
    assert_eq!(c.public("/api/v3/exchangeInfo", "").await.status, 200);
    assert_eq!(
        c.public("/api/v3/exchangeInfo", "").await.headers["x-mbx-used-weight-1m"],
        "40"
    );
    let over = c.public("/api/v3/exchangeInfo", "").await;
    if over.status == 200 {
        // The minute rolled over between requests; nothing to conclude from this run.
        return;
    }
    assert_eq!(
        (over.status, over.json["code"].as_i64()),
        (429, Some(-1003))
    );
    assert!(over.headers.contains_key("retry-after"));
    let mut last = 0;
    for _ in 0..4 {
        last = c.public("/api/v3/exchangeInfo", "").await.status;
    }
    assert_eq!(last, 418);
}

#[tokio::test]
async fn ed25519_keys_sign_requests() {
    use base64::Engine as _;
    use ed25519_dalek::{Signer, SigningKey};
    let sk = SigningKey::from_bytes(&[7u8; 32]);
    let pk = base64::engine::general_purpose::STANDARD.encode(sk.verifying_key().as_bytes());
    let extra = format!("[[account]]\napi_key = \"edkey1\"\ned25519_public_key = \"{pk}\"\nbalances = {{ USDT = \"50\" }}\n");
    let mut toml = config_toml("");
    toml.push_str(&extra);
    let sim = start_with(tradeward_sim::SimConfig::from_toml(&toml).unwrap()).await;
    let c = Client {
        key: "edkey1".into(),
        ..Client::new(&sim)
    };
    let payload = format!("timestamp={}", now_ms());
    let sig =
        base64::engine::general_purpose::STANDARD.encode(sk.sign(payload.as_bytes()).to_bytes());
    let enc: String = serde_urlencoded::to_string([("s", sig.as_str())]).unwrap()[2..].to_string();
    let ok = c.raw_signed("GET", "/api/v3/account", &payload, &enc).await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    assert_eq!(balance(&ok.json, "USDT").0, dec!(50));
    let other =
        base64::engine::general_purpose::STANDARD.encode(sk.sign(b"something else").to_bytes());
    let enc: String =
        serde_urlencoded::to_string([("s", other.as_str())]).unwrap()[2..].to_string();
    assert_eq!(
        c.raw_signed("GET", "/api/v3/account", &payload, &enc)
            .await
            .json["code"],
        -1022
    );
}
