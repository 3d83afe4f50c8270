//! Every captured Binance payload under `test_data/binance/` parsed, with known answers
//! taken from the documentation's examples.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal_macros::dec;
use tradeward_domain::{Side, Symbol, Venue};
use tradeward_exchange::binance::common::{
    parse_account, parse_error, parse_exchange_info, parse_listen_key, parse_market_frame,
    parse_order, parse_orders, parse_server_time, parse_user_frame, UserFrame,
};
use tradeward_exchange::{ExecutionType, MarketData, OrderStatus, OrderType, UserEvent};

const FILES: &[&str] = &[
    "rest_account.json",
    "rest_cancel_order.json",
    "rest_error.json",
    "rest_exchange_info.json",
    "rest_listen_key.json",
    "rest_open_orders.json",
    "rest_order_full.json",
    "rest_query_order.json",
    "rest_time.json",
    "ws_account_position.json",
    "ws_agg_trade.json",
    "ws_balance_update.json",
    "ws_book_ticker.json",
    "ws_combined_trade.json",
    "ws_execution_report.json",
    "ws_list_status.json",
    "ws_subscribe_response.json",
    "ws_trade.json",
];

fn data(name: &str) -> String {
    let path = format!("{}/test_data/binance/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("test data file")
}

fn sym(s: &str) -> Symbol {
    s.parse().unwrap()
}

/// Resolves the documentation's symbols.
fn resolve(s: &str) -> Option<Symbol> {
    match s {
        "ETHBTC" => Some(sym("ETH/BTC")),
        "LTCBTC" => Some(sym("LTC/BTC")),
        "BTCUSDT" => Some(sym("BTC/USDT")),
        "BNBBTC" => Some(sym("BNB/BTC")),
        "BNBUSDT" => Some(sym("BNB/USDT")),
        _ => None,
    }
}

#[test]
fn every_captured_file_is_covered_here() {
    let dir = format!("{}/test_data/binance", env!("CARGO_MANIFEST_DIR"));
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    assert_eq!(
        on_disk, FILES,
        "add new test_data files to FILES and test them"
    );
}

#[test]
fn server_time_and_error_and_listen_key() {
    assert_eq!(
        parse_server_time(data("rest_time.json").as_bytes()).unwrap(),
        1499827319559
    );
    assert_eq!(
        parse_error(data("rest_error.json").as_bytes()),
        Some((-1121, "Invalid symbol.".to_owned()))
    );
    let key = parse_listen_key(data("rest_listen_key.json").as_bytes()).unwrap();
    assert_eq!(
        key.expose(),
        "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
    );
    assert_eq!(format!("{key:?}"), "ListenKey(<redacted>)");
}

#[test]
fn exchange_info_yields_filters_and_weight_budget() {
    let rules = parse_exchange_info(data("rest_exchange_info.json").as_bytes()).unwrap();
    assert_eq!(rules.request_weight_per_minute, Some(1200));
    assert_eq!(rules.symbols.len(), 1);
    let r = &rules.symbols[0];
    assert_eq!(r.symbol, sym("ETH/BTC"));
    assert_eq!(r.venue_symbol, "ETHBTC");
    assert!(r.trading);
    let f = &r.filters;
    assert_eq!(f.tick_size, Some(dec!(0.000001)));
    assert_eq!(f.min_price, Some(dec!(0.000001)));
    assert_eq!(f.max_price, Some(dec!(100000)));
    assert_eq!(f.step_size, Some(dec!(0.001)));
    assert_eq!(f.min_qty, Some(dec!(0.001)));
    assert_eq!(f.market_step_size, Some(dec!(0.001)));
    assert_eq!(f.min_notional, Some(dec!(0.001)));
    assert!(f.min_notional_applies_to_market);
}

#[test]
fn account_balances() {
    let b = parse_account(data("rest_account.json").as_bytes()).unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].asset, "BTC");
    assert_eq!(b[0].free, dec!(4723846.89208129));
    assert_eq!(b[0].locked, dec!(0));
    assert_eq!(b[1].asset, "LTC");
}

#[test]
fn orders_full_query_cancel_and_open() {
    let full = parse_order(
        Venue::Binance,
        data("rest_order_full.json").as_bytes(),
        &resolve,
    )
    .unwrap();
    assert_eq!(full.symbol, sym("BTC/USDT"));
    assert_eq!(full.venue_order_id, "28");
    assert_eq!(full.client_order_id, "6gCrw2kRUAF9CvJDGP16IP");
    assert_eq!(full.status, OrderStatus::Filled);
    assert_eq!(full.order_type, OrderType::Market);
    assert_eq!(full.side, Side::Sell);
    assert_eq!(full.executed_qty, dec!(10));
    assert_eq!(full.update_time_ms, Some(1507725176595));

    let q = parse_order(
        Venue::Binance,
        data("rest_query_order.json").as_bytes(),
        &resolve,
    )
    .unwrap();
    assert_eq!(q.symbol, sym("LTC/BTC"));
    assert_eq!(q.status, OrderStatus::New);
    assert!(q.status.is_open());
    assert_eq!(q.price, dec!(0.1));

    let c = parse_order(
        Venue::Binance,
        data("rest_cancel_order.json").as_bytes(),
        &resolve,
    )
    .unwrap();
    // The cancel answer's clientOrderId names the cancel; the order is origClientOrderId.
    assert_eq!(c.client_order_id, "myOrder1");
    assert_eq!(c.status, OrderStatus::Canceled);
    assert_eq!(c.venue_order_id, "4");

    let open = parse_orders(
        Venue::Binance,
        data("rest_open_orders.json").as_bytes(),
        &resolve,
    )
    .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id, "myOrder1");
}

#[test]
fn an_order_for_a_symbol_not_asked_about_is_refused() {
    let only_eth = |s: &str| (s == "ETHBTC").then(|| sym("ETH/BTC"));
    let e = parse_order(
        Venue::Binance,
        data("rest_query_order.json").as_bytes(),
        &only_eth,
    )
    .unwrap_err();
    assert!(e.to_string().contains("symbol"), "{e}");
}

#[test]
fn market_frames() {
    let t = parse_market_frame(Venue::Binance, &data("ws_trade.json"), &resolve, 99)
        .unwrap()
        .unwrap();
    assert_eq!(t.symbol, sym("BNB/BTC"));
    assert_eq!(
        t.data,
        MarketData::Trade {
            trade_id: 12345,
            price: dec!(0.001),
            qty: dec!(100)
        }
    );
    assert_eq!(t.exchange_time_ms, Some(1672515782136));
    assert_eq!(t.received_at_ms, 99);

    let combined = parse_market_frame(
        Venue::Binance,
        &data("ws_combined_trade.json"),
        &resolve,
        99,
    )
    .unwrap()
    .unwrap();
    assert_eq!(combined, t);

    let b = parse_market_frame(Venue::Binance, &data("ws_book_ticker.json"), &resolve, 5)
        .unwrap()
        .unwrap();
    assert_eq!(b.symbol, sym("BNB/USDT"));
    assert_eq!(
        b.data,
        MarketData::BookTicker {
            update_id: 400900217,
            bid: dec!(25.3519),
            bid_qty: dec!(31.21),
            ask: dec!(25.3652),
            ask_qty: dec!(40.66),
        }
    );
    assert_eq!(b.exchange_time_ms, None);

    for ignored in ["ws_subscribe_response.json", "ws_agg_trade.json"] {
        assert_eq!(
            parse_market_frame(Venue::Binance, &data(ignored), &resolve, 0).unwrap(),
            None,
            "{ignored}"
        );
    }
}

#[test]
fn user_frames() {
    let Some(UserFrame::Event(UserEvent::Order(u))) =
        parse_user_frame(Venue::Binance, &data("ws_execution_report.json"), &resolve).unwrap()
    else {
        panic!("not an order update");
    };
    assert_eq!(u.execution, ExecutionType::New);
    assert_eq!(u.report.symbol, sym("ETH/BTC"));
    assert_eq!(u.report.client_order_id, "mUvoqJxFIILMdfAW5iGSOW");
    assert_eq!(u.report.venue_order_id, "4293153");
    assert_eq!(u.report.price, dec!(0.1026441));
    assert_eq!(u.report.status, OrderStatus::New);
    assert_eq!(u.fill, None);
    assert_eq!(u.orig_client_order_id, None);
    assert_eq!(u.exchange_time_ms, 1499405658658);

    let Some(UserFrame::Event(UserEvent::Balances {
        balances,
        exchange_time_ms,
    })) = parse_user_frame(Venue::Binance, &data("ws_account_position.json"), &resolve).unwrap()
    else {
        panic!("not a balance update");
    };
    assert_eq!(exchange_time_ms, 1564034571105);
    assert_eq!(balances.len(), 1);
    assert_eq!(balances[0].asset, "ETH");
    assert_eq!(balances[0].free, dec!(10000));

    for ignored in [
        "ws_balance_update.json",
        "ws_list_status.json",
        "ws_subscribe_response.json",
    ] {
        assert_eq!(
            parse_user_frame(Venue::Binance, &data(ignored), &resolve).unwrap(),
            None,
            "{ignored}"
        );
    }
    let expired = r#"{"e":"listenKeyExpired","E":1576653824250,"listenKey":"OfYGbUzi3PraNagEkdKuFwUHn48brFsItTdsuiIXrucEvD0rhRXZ7I6URWfE8YE8"}"#;
    assert_eq!(
        parse_user_frame(Venue::Binance, expired, &resolve).unwrap(),
        Some(UserFrame::ListenKeyExpired)
    );
}

#[test]
fn a_fill_carries_its_trade() {
    let fill = data("ws_execution_report.json")
        .replace(r#""x": "NEW""#, r#""x": "TRADE""#)
        .replace(r#""X": "NEW""#, r#""X": "PARTIALLY_FILLED""#)
        .replace(r#""l": "0.00000000""#, r#""l": "0.50000000""#)
        .replace(r#""L": "0.00000000""#, r#""L": "0.10264410""#)
        .replace(r#""t": -1"#, r#""t": 77"#)
        .replace(r#""N": null"#, r#""N": "BNB""#);
    let Some(UserFrame::Event(UserEvent::Order(u))) =
        parse_user_frame(Venue::Binance, &fill, &resolve).unwrap()
    else {
        panic!("not an order update");
    };
    let f = u.fill.unwrap();
    assert_eq!(f.trade_id, 77);
    assert_eq!(f.qty, dec!(0.5));
    assert_eq!(f.commission_asset.as_deref(), Some("BNB"));
    // A trade without a trade id is malformed.
    let bad = fill.replace(r#""t": 77"#, r#""t": -1"#);
    assert!(parse_user_frame(Venue::Binance, &bad, &resolve).is_err());
}

#[test]
fn crossed_book_and_negative_values_are_malformed() {
    let crossed = data("ws_book_ticker.json").replace("25.36520000", "25.00000000");
    assert!(parse_market_frame(Venue::Binance, &crossed, &resolve, 0).is_err());
    let negative = data("rest_account.json").replace("4723846.89208129", "-1");
    let e = parse_account(negative.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("`free` is negative"), "{e}");
    let zero_price = data("ws_trade.json").replace(r#""p": "0.001""#, r#""p": "0""#);
    assert!(parse_market_frame(Venue::Binance, &zero_price, &resolve, 0).is_err());
}
