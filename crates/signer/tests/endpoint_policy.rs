//! Endpoint classification (the signer's policy input) and trade-intent parsing: a table of real
//! endpoints per venue, hostile path spellings that must never pass as read or trade, and order
//! bodies for every venue, including malformed amounts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal_macros::dec;
use tradeward_domain::{Side, Venue};
use tradeward_signer::endpoints::{
    classify, trade_intent, EndpointClass, EndpointError, TradeIntent,
};
use tradeward_signer::schemes::{HttpMethod, RequestBody, UnsignedRequest};

use EndpointClass::{Cancel, KeyManagement, Read, Trade, Transfer, Unknown, Withdraw};
use HttpMethod::{Delete, Get, Post, Put};

fn check(venue: Venue, rows: &[(HttpMethod, &str, EndpointClass)]) {
    for (method, path, expected) in rows {
        assert_eq!(
            classify(venue, *method, path),
            *expected,
            "{venue} {method} {path}"
        );
    }
}

#[test]
fn binance_and_sim_endpoints() {
    let rows = [
        (Get, "/api/v3/ping", Read),
        (Get, "/api/v3/exchangeInfo", Read),
        (Get, "/api/v3/depth", Read),
        (Get, "/api/v3/klines", Read),
        (Get, "/api/v3/ticker/bookTicker", Read),
        (Get, "/api/v3/account", Read),
        (Get, "/api/v3/order", Read),
        (Get, "/api/v3/openOrders", Read),
        (Get, "/api/v3/allOrders", Read),
        (Get, "/api/v3/myTrades", Read),
        (Post, "/api/v3/userDataStream", Read),
        (Put, "/api/v3/userDataStream", Read),
        (Delete, "/api/v3/userDataStream", Read),
        (Get, "/sapi/v1/account/apiRestrictions", Read),
        (Post, "/api/v3/order", Trade),
        (Post, "/api/v3/order/test", Trade),
        (Post, "/api/v3/orderList/oco", Trade),
        (Post, "/api/v3/order/cancelReplace", Trade),
        (Delete, "/api/v3/order", Cancel),
        (Delete, "/api/v3/openOrders", Cancel),
        (Delete, "/api/v3/orderList", Cancel),
        (Post, "/sapi/v1/capital/withdraw/apply", Withdraw),
        (Get, "/sapi/v1/capital/withdraw/apply", Withdraw),
        (Post, "/sapi/v1/asset/transfer", Transfer),
        (Post, "/sapi/v1/sub-account/universalTransfer", Transfer),
        (Post, "/sapi/v1/sub-account/transfer/subToSub", Transfer),
        (Post, "/sapi/v1/sub-account/transfer/subToMaster", Transfer),
        (
            Post,
            "/sapi/v2/sub-account/subAccountApi/ipRestriction",
            KeyManagement,
        ),
        (
            Delete,
            "/sapi/v1/sub-account/subAccountApi/ipRestriction/ipList",
            KeyManagement,
        ),
        (
            Post,
            "/sapi/v1/account/apiRestrictions/ipRestriction",
            KeyManagement,
        ),
        // Wrong method on a known read/trade path, and paths not in the table.
        (Put, "/api/v3/order", Unknown),
        (Post, "/api/v3/account", Unknown),
        (Delete, "/api/v3/myTrades", Unknown),
        (Get, "/api/v3/order/test/extra", Unknown),
        (Post, "/sapi/v1/capital/withdraw", Unknown),
        (Get, "/fapi/v1/order", Unknown),
    ];
    check(Venue::Binance, &rows);
    check(Venue::Sim, &rows);
}

#[test]
fn kraken_endpoints() {
    check(
        Venue::Kraken,
        &[
            (Get, "/0/public/Ticker", Read),
            (Post, "/0/private/Balance", Read),
            (Post, "/0/private/OpenOrders", Read),
            (Post, "/0/private/GetApiKeyInfo", Read),
            (Post, "/0/private/GetWebSocketsToken", Read),
            (Post, "/0/private/AddOrder", Trade),
            (Post, "/0/private/EditOrder", Trade),
            (Post, "/0/private/CancelOrder", Cancel),
            (Post, "/0/private/CancelAll", Cancel),
            (Post, "/0/private/CancelAllOrdersAfter", Cancel),
            (Post, "/0/private/Withdraw", Withdraw),
            (Post, "/0/private/WithdrawCancel", Withdraw),
            (Post, "/0/private/WithdrawAddresses", Withdraw),
            (Post, "/0/private/WalletTransfer", Transfer),
            (Post, "/0/private/Earn/Allocate", Transfer),
            (Post, "/0/private/CreateSubaccount", KeyManagement),
            (Get, "/0/private/Balance", Unknown),
            (Post, "/0/private/balance", Unknown),
            (Post, "/0/private/AddOrderX", Unknown),
        ],
    );
}

#[test]
fn coinbase_endpoints() {
    check(
        Venue::Coinbase,
        &[
            (Get, "/api/v3/brokerage/accounts", Read),
            (
                Get,
                "/api/v3/brokerage/accounts/8bfc20d7-f7c6-4422-bf07-8243ca4169fe",
                Read,
            ),
            (Get, "/api/v3/brokerage/key_permissions", Read),
            (Get, "/api/v3/brokerage/orders/historical/batch", Read),
            (
                Get,
                "/api/v3/brokerage/orders/historical/0000-000000-000000",
                Read,
            ),
            (Get, "/api/v3/brokerage/products/BTC-USD/ticker", Read),
            (Post, "/api/v3/brokerage/orders", Trade),
            (Post, "/api/v3/brokerage/orders/preview", Trade),
            (Post, "/api/v3/brokerage/orders/batch_cancel", Cancel),
            (Post, "/api/v3/brokerage/portfolios/move_funds", Transfer),
            (Post, "/v2/accounts/2bbf394c/transactions", Withdraw),
            (Get, "/v2/accounts/2bbf394c/transactions", Withdraw),
            (Post, "/v2/accounts/2bbf394c/withdrawals", Withdraw),
            // Exchange (legacy Pro).
            (Get, "/accounts", Read),
            (Get, "/fills", Read),
            (Get, "/orders/d0c5340b-6d6c-49d9-b567-48c4bfca13d2", Read),
            (Post, "/orders", Trade),
            (Delete, "/orders", Cancel),
            (Delete, "/orders/client:my-order-1", Cancel),
            (Post, "/withdrawals/crypto", Withdraw),
            (Post, "/withdrawals/payment-method", Withdraw),
            (Post, "/withdrawals/coinbase-account", Withdraw),
            (Get, "/transfers", Read),
            (Post, "/transfers", Transfer),
            (Post, "/profiles/transfer", Transfer),
            (Post, "/deposits/coinbase-account", Transfer),
            (Post, "/withdrawals/anything-new", Unknown),
            (Put, "/orders", Unknown),
            (Post, "/api/v3/brokerage/orders/123", Unknown),
        ],
    );
}

#[test]
fn okx_and_bybit_endpoints() {
    check(
        Venue::Okx,
        &[
            (Get, "/api/v5/account/balance", Read),
            (Get, "/api/v5/trade/orders-pending", Read),
            (Get, "/api/v5/trade/order", Read),
            (Post, "/api/v5/trade/order", Trade),
            (Post, "/api/v5/trade/batch-orders", Trade),
            (Post, "/api/v5/trade/cancel-order", Cancel),
            (Post, "/api/v5/asset/withdrawal", Withdraw),
            (Post, "/api/v5/asset/transfer", Transfer),
            (Post, "/api/v5/users/subaccount/apikey", KeyManagement),
            (Get, "/api/v5/trade/cancel-order", Unknown),
            (Post, "/api/v5/trade/orders", Unknown),
        ],
    );
    check(
        Venue::Bybit,
        &[
            (Get, "/v5/market/tickers", Read),
            (Get, "/v5/account/wallet-balance", Read),
            (Get, "/v5/order/realtime", Read),
            (Post, "/v5/order/create", Trade),
            (Post, "/v5/order/amend", Trade),
            (Post, "/v5/order/cancel", Cancel),
            (Post, "/v5/order/cancel-all", Cancel),
            (Post, "/v5/asset/withdraw/create", Withdraw),
            (Post, "/v5/asset/transfer/inter-transfer", Transfer),
            (Post, "/v5/asset/transfer/universal-transfer", Transfer),
            (Get, "/v5/asset/transfer/query-inter-transfer-list", Read),
            (
                Post,
                "/v5/asset/transfer/query-inter-transfer-list",
                Unknown,
            ),
            (Post, "/v5/user/update-api", KeyManagement),
            (Get, "/v5/order/create", Unknown),
        ],
    );
}

#[test]
fn endpoints_of_one_venue_are_unknown_on_another() {
    assert_eq!(classify(Venue::Kraken, Post, "/api/v3/order"), Unknown);
    assert_eq!(
        classify(Venue::Binance, Post, "/0/private/AddOrder"),
        Unknown
    );
    assert_eq!(classify(Venue::Okx, Post, "/v5/order/create"), Unknown);
    assert_eq!(classify(Venue::Coinbase, Post, "/api/v3/order"), Unknown);
}

#[test]
fn hostile_paths_are_never_read_or_trade() {
    let hostile = [
        "/api/v3/order/../../sapi/v1/capital/withdraw/apply",
        "/api/v3/order/./",
        "/api/v3/./order",
        "/API/V3/ORDER",
        "/Api/v3/order",
        "/api/v3/order?x",
        "/api/v3/order?symbol=BTCUSDT",
        "/api/v3/order#frag",
        "//api/v3/order",
        "/api/v3//order",
        "/api/v3/order/",
        "/api/v3/order%2F..%2F..%2Fsapi%2Fv1%2Fcapital%2Fwithdraw%2Fapply",
        "/api/v3/%6Frder",
        "/api/v3/order%00",
        "/api/v3/order;jsessionid=1",
        "/api/v3/order ",
        " /api/v3/order",
        "/api/v3/order\n",
        "/api/v3/order\\..\\withdraw",
        "/api/v3/orderx",
        "/api/v3/order/x",
        "/api/v3/ordеr", // Cyrillic 'е'
        "api/v3/order",
        "https://api.binance.com/api/v3/order",
        "/sapi/v1/capital/withdraw/apply/",
        "/sapi/v1/capital/withdraw/apply/..",
        "/sapi/v1/capital/withdraw/apply?x=1",
        "/0/private/AddOrder/../Withdraw",
        "/api/v3/brokerage/orders/../../../v2/accounts/x/transactions",
        "/orders/..",
        "/orders/.",
        "/orders/%2e%2e",
        "",
        "/",
    ];
    for venue in Venue::ALL {
        for method in [Get, Post, Put, Delete] {
            for path in hostile {
                let class = classify(venue, method, path);
                assert!(
                    matches!(class, Unknown | Withdraw),
                    "{venue} {method} {path:?} -> {class:?}"
                );
            }
        }
    }
    // The long path is refused, not truncated into something that matches.
    let long = format!("/api/v3/order{}", "/x".repeat(300));
    assert_eq!(classify(Venue::Binance, Post, &long), Unknown);
}

#[test]
fn only_read_trade_and_cancel_are_signable() {
    let signable: Vec<_> = [
        Read,
        Cancel,
        Trade,
        Transfer,
        KeyManagement,
        Withdraw,
        Unknown,
    ]
    .into_iter()
    .filter(|c| c.is_signable())
    .collect();
    assert_eq!(signable, [Read, Cancel, Trade]);
    assert_eq!(Withdraw.as_str(), "withdraw");
    assert_eq!(KeyManagement.as_str(), "key_management");
}

// ---- Trade intents ---------------------------------------------------------------------------

fn form(method: HttpMethod, path: &str, pairs: &[(&str, &str)]) -> UnsignedRequest {
    let mut req = UnsignedRequest::new(method, path);
    req.query = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    req
}

fn json(path: &str, body: &str) -> UnsignedRequest {
    UnsignedRequest::new(Post, path).with_body(RequestBody::Json(body.to_owned()))
}

fn intent(symbol: &str, side: Side, order_type: &str) -> TradeIntent {
    TradeIntent {
        symbol: symbol.into(),
        side,
        quantity: None,
        price: None,
        quote_quantity: None,
        order_type: order_type.into(),
    }
}

#[test]
fn binance_limit_and_market_orders() {
    let limit = form(
        Post,
        "/api/v3/order",
        &[
            ("symbol", "LTCBTC"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "1"),
            ("price", "0.1"),
            ("recvWindow", "5000"),
        ],
    );
    assert_eq!(
        trade_intent(Venue::Binance, &limit).unwrap(),
        TradeIntent {
            quantity: Some(dec!(1)),
            price: Some(dec!(0.1)),
            ..intent("LTCBTC", Side::Buy, "LIMIT")
        }
    );
    let by_qty = form(
        Post,
        "/api/v3/order",
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quantity", "0.015"),
        ],
    );
    assert_eq!(
        trade_intent(Venue::Sim, &by_qty).unwrap(),
        TradeIntent {
            quantity: Some(dec!(0.015)),
            ..intent("BTCUSDT", Side::Sell, "MARKET")
        }
    );
    let by_quote = form(
        Post,
        "/api/v3/order/test",
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quoteOrderQty", "250.50"),
        ],
    );
    assert_eq!(
        trade_intent(Venue::Binance, &by_quote).unwrap(),
        TradeIntent {
            quote_quantity: Some(dec!(250.50)),
            ..intent("BTCUSDT", Side::Buy, "MARKET")
        }
    );
    // Parameters split between query and form body are read together.
    let mut split = form(
        Post,
        "/api/v3/order",
        &[("symbol", "BTCUSDT"), ("side", "BUY")],
    );
    split.body = RequestBody::Form(vec![
        ("type".into(), "STOP_LOSS_LIMIT".into()),
        ("quantity".into(), "2".into()),
        ("price".into(), "100".into()),
        ("stopPrice".into(), "101".into()),
        ("timeInForce".into(), "GTC".into()),
    ]);
    let got = trade_intent(Venue::Binance, &split).unwrap();
    assert_eq!(
        got.price,
        Some(dec!(101)),
        "the highest named price values the order"
    );
    let oco = form(
        Post,
        "/api/v3/orderList/oco",
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("quantity", "1"),
            ("aboveType", "LIMIT_MAKER"),
            ("abovePrice", "70000"),
            ("belowType", "STOP_LOSS"),
            ("belowStopPrice", "60000"),
        ],
    );
    let got = trade_intent(Venue::Binance, &oco).unwrap();
    assert_eq!(
        (got.order_type.as_str(), got.price, got.quantity),
        ("OCO", Some(dec!(70000)), Some(dec!(1)))
    );
}

#[test]
fn binance_malformed_or_ambiguous_orders_are_errors() {
    let base = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("price", "1"),
    ];
    let with = |extra: &[(&str, &str)]| {
        let mut p = base.to_vec();
        p.extend_from_slice(extra);
        trade_intent(Venue::Binance, &form(Post, "/api/v3/order", &p)).unwrap_err()
    };
    for bad in ["1,5", "-1", "1e3", "0", " 1", "abc", "1_000"] {
        let err = with(&[("quantity", bad)]);
        assert!(
            matches!(&err, EndpointError::Invalid { name, .. } if name == "quantity"),
            "{bad}: {err}"
        );
    }
    assert_eq!(
        with(&[("quantity", "0")]).to_string(),
        "parameter `quantity` must be greater than zero"
    );
    assert_eq!(with(&[]).to_string(), "missing parameter `quantity`");
    assert_eq!(
        with(&[("quantity", "1"), ("quantity", "100")]),
        EndpointError::Duplicate("quantity".into())
    );
    assert!(matches!(
        with(&[("quoteOrderQty", "5")]),
        EndpointError::Invalid { .. }
    ));
    // The same name in the query and in the body is as ambiguous as twice in one.
    let mut req = form(Post, "/api/v3/order", &base);
    req.query.push(("quantity".into(), "1".into()));
    req.body = RequestBody::Form(vec![("quantity".into(), "1000".into())]);
    assert_eq!(
        trade_intent(Venue::Binance, &req).unwrap_err(),
        EndpointError::Duplicate("quantity".into())
    );
    let market = form(
        Post,
        "/api/v3/order",
        &[("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET")],
    );
    assert_eq!(
        trade_intent(Venue::Binance, &market)
            .unwrap_err()
            .to_string(),
        "missing parameter `quantity or quoteOrderQty`"
    );
    let bad_side = form(
        Post,
        "/api/v3/order",
        &[
            ("symbol", "BTCUSDT"),
            ("side", "HOLD"),
            ("type", "MARKET"),
            ("quantity", "1"),
        ],
    );
    assert!(trade_intent(Venue::Binance, &bad_side)
        .unwrap_err()
        .to_string()
        .contains("not buy or sell"));
    // Not an order endpoint, or an order list the policy cannot value.
    let cancel = form(
        Delete,
        "/api/v3/order",
        &[("symbol", "BTCUSDT"), ("orderId", "1")],
    );
    assert!(matches!(
        trade_intent(Venue::Binance, &cancel).unwrap_err(),
        EndpointError::NotATradeEndpoint { .. }
    ));
    let oto = form(Post, "/api/v3/orderList/oto", &[("symbol", "BTCUSDT")]);
    assert!(matches!(
        trade_intent(Venue::Binance, &oto).unwrap_err(),
        EndpointError::Unsupported(_)
    ));
}

#[test]
fn kraken_add_order() {
    let req = |pairs: &[(&str, &str)]| {
        UnsignedRequest::new(Post, "/0/private/AddOrder").with_body(RequestBody::Form(
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        ))
    };
    let limit = req(&[
        ("ordertype", "limit"),
        ("pair", "XBTUSD"),
        ("price", "37500"),
        ("type", "buy"),
        ("volume", "1.25"),
    ]);
    assert_eq!(
        trade_intent(Venue::Kraken, &limit).unwrap(),
        TradeIntent {
            quantity: Some(dec!(1.25)),
            price: Some(dec!(37500)),
            ..intent("XBTUSD", Side::Buy, "limit")
        }
    );
    let viqc = req(&[
        ("ordertype", "market"),
        ("pair", "XBTUSD"),
        ("type", "buy"),
        ("volume", "500"),
        ("oflags", "fciq,viqc"),
    ]);
    assert_eq!(
        trade_intent(Venue::Kraken, &viqc).unwrap(),
        TradeIntent {
            quote_quantity: Some(dec!(500)),
            ..intent("XBTUSD", Side::Buy, "market")
        }
    );
    let stop_limit = req(&[
        ("ordertype", "stop-loss-limit"),
        ("pair", "ETHUSD"),
        ("type", "sell"),
        ("volume", "2"),
        ("price", "1800"),
        ("price2", "1790"),
    ]);
    assert_eq!(
        trade_intent(Venue::Kraken, &stop_limit).unwrap().price,
        Some(dec!(1800))
    );
    let relative = req(&[
        ("ordertype", "limit"),
        ("pair", "XBTUSD"),
        ("type", "buy"),
        ("volume", "1"),
        ("price", "+5"),
    ]);
    assert!(matches!(
        trade_intent(Venue::Kraken, &relative).unwrap_err(),
        EndpointError::Unsupported(_)
    ));
    let bad = req(&[
        ("ordertype", "limit"),
        ("pair", "XBTUSD"),
        ("type", "buy"),
        ("volume", "1.2.5"),
        ("price", "1"),
    ]);
    assert!(trade_intent(Venue::Kraken, &bad)
        .unwrap_err()
        .to_string()
        .contains("`volume`"));
    let amend = UnsignedRequest::new(Post, "/0/private/AmendOrder");
    assert!(matches!(
        trade_intent(Venue::Kraken, &amend).unwrap_err(),
        EndpointError::Unsupported(_)
    ));
}

#[test]
fn coinbase_advanced_order_configurations() {
    let market = json(
        "/api/v3/brokerage/orders",
        r#"{"client_order_id":"c1","product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"quote_size":"100.25"}}}"#,
    );
    assert_eq!(
        trade_intent(Venue::Coinbase, &market).unwrap(),
        TradeIntent {
            quote_quantity: Some(dec!(100.25)),
            ..intent("BTC-USD", Side::Buy, "market_market_ioc")
        }
    );
    let limit = json(
        "/api/v3/brokerage/orders",
        r#"{"client_order_id":"c2","product_id":"ETH-USD","side":"SELL","order_configuration":{"limit_limit_gtc":{"base_size":"0.5","limit_price":"3000.10","post_only":false}}}"#,
    );
    assert_eq!(
        trade_intent(Venue::Coinbase, &limit).unwrap(),
        TradeIntent {
            quantity: Some(dec!(0.5)),
            price: Some(dec!(3000.10)),
            ..intent("ETH-USD", Side::Sell, "limit_limit_gtc")
        }
    );
    let stop = json(
        "/api/v3/brokerage/orders/preview",
        r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"stop_limit_stop_limit_gtc":{"base_size":"1","limit_price":"50100","stop_price":"50000","stop_direction":"STOP_DIRECTION_STOP_UP"}}}"#,
    );
    assert_eq!(
        trade_intent(Venue::Coinbase, &stop).unwrap().price,
        Some(dec!(50100))
    );

    let errors = [
        (
            r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"quote_size":100}}}"#,
            "not a JSON number",
        ),
        (
            r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"quote_size":"1","base_size":"1"}}}"#,
            "exactly one of base_size and quote_size",
        ),
        (
            r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"1"}}}"#,
            "limit_limit_gtc.limit_price",
        ),
        (
            r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"base_size":"1"},"limit_limit_gtc":{"base_size":"9","limit_price":"1"}}}"#,
            "exactly one configuration",
        ),
        (
            r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"new_fancy_type":{"base_size":"1"}}}"#,
            "not supported",
        ),
        (
            r#"{"product_id":"BTC-USD","side":"BUY","side":"SELL","order_configuration":{"market_market_ioc":{"base_size":"1"}}}"#,
            "appears more than once",
        ),
        (
            r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"base_size":"1","base_size":"100"}}}"#,
            "appears more than once",
        ),
        (
            r#"{"product_id":"BTC-USD","side":"BUY"}"#,
            "missing parameter `order_configuration`",
        ),
        (
            r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"base_size":"0.1.2"}}}"#,
            "not a plain decimal",
        ),
    ];
    for (body, expected) in errors {
        let err = trade_intent(Venue::Coinbase, &json("/api/v3/brokerage/orders", body))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{body}\n -> {err}");
    }
}

#[test]
fn coinbase_exchange_okx_and_bybit_orders() {
    let cb = json(
        "/orders",
        r#"{"type":"market","side":"buy","product_id":"BTC-EUR","funds":"250"}"#,
    );
    assert_eq!(
        trade_intent(Venue::Coinbase, &cb).unwrap(),
        TradeIntent {
            quote_quantity: Some(dec!(250)),
            ..intent("BTC-EUR", Side::Buy, "market")
        }
    );
    let okx_limit = json(
        "/api/v5/trade/order",
        r#"{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2"}"#,
    );
    assert_eq!(
        trade_intent(Venue::Okx, &okx_limit).unwrap(),
        TradeIntent {
            quantity: Some(dec!(2)),
            price: Some(dec!(2.15)),
            ..intent("BTC-USDT", Side::Buy, "limit")
        }
    );
    // OKX sizes a spot market buy in quote currency unless tgtCcy says otherwise.
    let okx_market = json(
        "/api/v5/trade/order",
        r#"{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"100"}"#,
    );
    assert_eq!(
        trade_intent(Venue::Okx, &okx_market)
            .unwrap()
            .quote_quantity,
        Some(dec!(100))
    );
    let okx_base = json(
        "/api/v5/trade/order",
        r#"{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"0.01","tgtCcy":"base_ccy"}"#,
    );
    assert_eq!(
        trade_intent(Venue::Okx, &okx_base).unwrap().quantity,
        Some(dec!(0.01))
    );
    // Bybit likewise for spot market buys (marketUnit defaults to quoteCoin).
    let bybit_market = json(
        "/v5/order/create",
        r#"{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"200"}"#,
    );
    assert_eq!(
        trade_intent(Venue::Bybit, &bybit_market).unwrap(),
        TradeIntent {
            quote_quantity: Some(dec!(200)),
            ..intent("BTCUSDT", Side::Buy, "Market")
        }
    );
    let bybit_limit = json(
        "/v5/order/create",
        r#"{"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Limit","qty":"0.1","price":"30000"}"#,
    );
    assert_eq!(
        trade_intent(Venue::Bybit, &bybit_limit).unwrap(),
        TradeIntent {
            quantity: Some(dec!(0.1)),
            price: Some(dec!(30000)),
            ..intent("BTCUSDT", Side::Sell, "Limit")
        }
    );
    let bybit_bad = json(
        "/v5/order/create",
        r#"{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"-1","price":"1"}"#,
    );
    assert!(trade_intent(Venue::Bybit, &bybit_bad)
        .unwrap_err()
        .to_string()
        .contains("`qty`"));
    let okx_form =
        UnsignedRequest::new(Post, "/api/v5/trade/order").with_body(RequestBody::Form(vec![]));
    assert!(matches!(
        trade_intent(Venue::Okx, &okx_form).unwrap_err(),
        EndpointError::Body(_)
    ));
}

// ---- Properties: no input panics, and no mangled spelling of a real path passes ---------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    const REAL: [(Venue, HttpMethod, &str); 6] = [
        (Venue::Binance, Post, "/api/v3/order"),
        (Venue::Binance, Get, "/api/v3/account"),
        (Venue::Kraken, Post, "/0/private/AddOrder"),
        (Venue::Coinbase, Post, "/api/v3/brokerage/orders"),
        (Venue::Okx, Post, "/api/v5/trade/order"),
        (Venue::Bybit, Post, "/v5/order/create"),
    ];

    proptest! {
        #[test]
        fn any_path_classifies_without_panic_and_signable_ones_are_canonical(path in "\\PC{0,80}", m in 0usize..4) {
            let method = [Get, Post, Put, Delete][m];
            for venue in Venue::ALL {
                let class = classify(venue, method, &path);
                if class.is_signable() {
                    prop_assert!(path.starts_with('/') && !path.ends_with('/'));
                    for bad in ["..", "//", "%", "?", "#", "\\", " ", ";"] {
                        prop_assert!(!path.contains(bad), "{} {}", venue, path);
                    }
                }
            }
        }

        #[test]
        fn a_hostile_character_inserted_into_a_real_path_makes_it_unknown(
            which in 0usize..6,
            at in 0usize..40,
            c in prop::sample::select(vec!['.', '/', '%', '?', '#', ';', ' ', '\\', '\0', '\n', 'é', '~']),
        ) {
            let (venue, method, path) = REAL[which];
            let at = at.min(path.len());
            let mangled = format!("{}{}{}", &path[..at], c, &path[at..]);
            // Some insertions of '.' or '/' still give a canonical path; none is in any table.
            prop_assert_eq!(classify(venue, method, &mangled), Unknown, "{}", mangled);
        }

        #[test]
        fn trade_intent_never_panics(body in "\\PC{0,200}", pairs in prop::collection::vec(("[a-zA-Z]{1,12}", "\\PC{0,16}"), 0..8)) {
            for (venue, _, path) in REAL {
                let _ = trade_intent(venue, &json(path, &body));
                let mut req = UnsignedRequest::new(Post, path);
                req.query = pairs.clone();
                let _ = trade_intent(venue, &req);
                req.body = RequestBody::Form(pairs.clone());
                req.query.clear();
                let _ = trade_intent(venue, &req);
            }
        }
    }
}
