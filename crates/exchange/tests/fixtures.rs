//! Parses every fixture under `test_data/<venue>/` (responses and stream messages shaped
//! after each venue's documentation) with the parser its file name selects, with known-answer
//! checks on the values. A fixture whose name selects no parser fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

use std::collections::HashMap;
use std::path::PathBuf;

use rust_decimal_macros::dec;
use tradeward_domain::{Symbol, Venue};
use tradeward_exchange::kraken::common as kr;
use tradeward_exchange::{MarketData, OrderStatus, OrderType};

fn files(venue: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test_data")
        .join(venue);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures for {venue}");
    out
}

fn sym(s: &str) -> Symbol {
    s.parse().unwrap()
}

#[test]
fn every_kraken_fixture_parses() {
    let names: HashMap<&str, Symbol> = [
        ("XBTUSD", sym("BTC/USD")),
        ("XBTEUR", sym("BTC/EUR")),
        ("MATIC/USD", sym("MATIC/USD")),
        ("ALGO/USD", sym("ALGO/USD")),
    ]
    .into_iter()
    .collect();
    let resolve = |s: &str| names.get(s).cloned();
    let mut parsed = 0;
    for (name, body) in files("kraken") {
        let text = std::str::from_utf8(&body).unwrap();
        let expect_error = name.contains("error");
        let ok: bool = match name.as_str() {
            n if n.starts_with("rest_error") => {
                let e = kr::parse_envelope_error(&body).expect("an error envelope");
                assert!(!e.to_string().is_empty());
                false
            }
            "rest_time" => {
                assert_eq!(kr::parse_server_time(&body).unwrap(), 1_688_669_448_000);
                true
            }
            "rest_asset_pairs" => {
                let (rules, aliases) = kr::parse_asset_pairs(&body).unwrap();
                assert_eq!(rules.symbols.len(), 3);
                let btc = rules.get(&sym("BTC/USD")).unwrap();
                assert_eq!(btc.venue_symbol, "XXBTZUSD");
                assert_eq!(btc.filters.tick_size, Some(dec!(0.1)));
                assert_eq!(btc.filters.step_size, Some(dec!(0.00000001)));
                assert_eq!(btc.filters.min_qty, Some(dec!(0.0001)));
                assert_eq!(btc.filters.min_notional, Some(dec!(0.5)));
                assert!(btc.trading);
                assert!(!rules.get(&sym("SOL/USD")).unwrap().trading, "cancel_only");
                assert!(rules.get(&sym("ETH/BTC")).is_some());
                assert!(aliases.contains(&("XBTUSD".to_owned(), sym("BTC/USD"))));
                true
            }
            "rest_balance_ex" => {
                let b = kr::parse_balance_ex(&body).unwrap();
                let usd = b.iter().find(|x| x.asset == "USD").unwrap();
                assert_eq!((usd.free, usd.locked), (dec!(17185.45), dec!(8249.76)));
                let btc = b.iter().find(|x| x.asset == "BTC").unwrap();
                assert_eq!((btc.free, btc.locked), (dec!(0.4012), dec!(0.8423)));
                true
            }
            "rest_add_order" => {
                assert_eq!(kr::parse_txid(&body).unwrap(), "OU22CG-KLAF2-FWUDD7");
                true
            }
            "rest_cancel_order" => {
                assert_eq!(kr::parse_cancel(&body).unwrap(), 1);
                true
            }
            "rest_open_orders" => {
                let list = kr::parse_orders_page(Venue::Kraken, &body, &resolve).unwrap();
                assert_eq!(list.len(), 2);
                let o = list
                    .iter()
                    .find(|o| o.venue_order_id == "OQCLML-BW3P3-BUCMWZ")
                    .unwrap();
                assert_eq!(o.status, OrderStatus::PartiallyFilled);
                assert_eq!(
                    (o.price, o.orig_qty, o.executed_qty),
                    (dec!(30010.0), dec!(1.25), dec!(0.375))
                );
                assert_eq!(o.update_time_ms, Some(1_688_666_559_897));
                let other = list
                    .iter()
                    .find(|o| o.venue_order_id == "OB5VMB-B4U2U-DK2WRW")
                    .unwrap();
                assert_eq!(
                    other.client_order_id, "45326",
                    "userref stands in for a client id"
                );
                true
            }
            "rest_closed_orders" => {
                let list = kr::parse_orders_page(Venue::Kraken, &body, &resolve).unwrap();
                assert_eq!(list.len(), 2);
                assert!(list.iter().all(|o| o.status == OrderStatus::Canceled));
                assert!(list
                    .iter()
                    .any(|o| o.order_type == OrderType::TakeProfitLimit));
                true
            }
            "rest_query_orders" => {
                let list = kr::parse_order_map(Venue::Kraken, &body, &resolve).unwrap();
                let m = list
                    .iter()
                    .find(|o| o.venue_order_id == "OMMDB2-FSB6Z-7W3HPO")
                    .unwrap();
                assert_eq!(
                    (m.status, m.order_type),
                    (OrderStatus::Filled, OrderType::Market)
                );
                assert_eq!(m.cumulative_quote_qty, dec!(7500.0));
                true
            }
            "rest_api_key_info" => {
                let k = kr::parse_api_key_info(&body).unwrap();
                assert!(k.permissions.contains(&"withdraw-funds".to_owned()));
                assert!(k.ip_allowlist.is_empty());
                true
            }
            n if n.starts_with("ws_") => {
                let mut seq = 0;
                match kr::parse_ws_message(Venue::Kraken, text, &resolve, 1, &mut seq) {
                    Ok(events) => {
                        match n {
                            "ws_trade" => {
                                assert_eq!(events.len(), 2);
                                assert_eq!(events[0].price(), Some(dec!(0.5117)));
                                assert_eq!(events[0].exchange_time_ms, Some(1_695_628_177_708));
                                assert!(
                                    matches!(events[1].data, MarketData::Trade { trade_id: 4_665_907, qty, .. } if qty == dec!(10.5))
                                );
                            }
                            "ws_ticker" => {
                                assert!(
                                    matches!(events[0].data, MarketData::BookTicker { bid, ask_qty, .. } if bid == dec!(0.10025) && ask_qty == dec!(1361.44813783))
                                );
                            }
                            "ws_status" | "ws_heartbeat" | "ws_subscribe_ack" => {
                                assert!(events.is_empty())
                            }
                            other => panic!("fixture {other} selects no parser"),
                        }
                        true
                    }
                    Err(e) => {
                        assert!(expect_error, "{name}: {e}");
                        false
                    }
                }
            }
            other => panic!("fixture {other} selects no parser"),
        };
        assert_eq!(ok, !expect_error, "{name}");
        parsed += 1;
    }
    assert!(parsed >= 17, "{parsed}");
}

#[test]
fn every_coinbase_fixture_parses() {
    use tradeward_exchange::coinbase::common as cb;
    let mut parsed = 0;
    for (name, body) in files("coinbase") {
        match name.as_str() {
            "rest_products" => {
                let rules = cb::parse_products(&body).unwrap();
                assert_eq!(rules.symbols.len(), 2, "futures are left out");
                let btc = rules.get(&sym("BTC/USD")).unwrap();
                assert_eq!(btc.venue_symbol, "BTC-USD");
                assert_eq!(btc.filters.tick_size, Some(dec!(0.01)));
                assert_eq!(btc.filters.step_size, Some(dec!(0.00000001)));
                assert_eq!(btc.filters.min_notional, Some(dec!(1)));
                assert!(btc.trading);
                assert!(!rules.get(&sym("ETH/USD")).unwrap().trading, "cancel_only");
            }
            "rest_accounts" => {
                let b = cb::parse_accounts(&body).unwrap();
                assert_eq!(
                    (b[0].asset.as_str(), b[0].free, b[0].locked),
                    ("BTC", dec!(1.23), dec!(0.5))
                );
            }
            "rest_create_order" => {
                assert_eq!(cb::parse_create_order(&body).unwrap(), "11111-00000-000000");
            }
            "rest_error_create_order" => {
                let e = cb::parse_create_order(&body).unwrap_err();
                assert_eq!(e.venue_code(), Some(cb::codes::INSUFFICIENT_FUND));
            }
            "rest_error_body" => {
                let e = cb::parse_error(&body).unwrap();
                assert_eq!(e.venue_code(), Some(cb::codes::NOT_FOUND));
            }
            "rest_order" => {
                let o = cb::parse_order(&body).unwrap();
                assert_eq!(o.status, OrderStatus::PartiallyFilled);
                assert_eq!(
                    (o.price, o.orig_qty, o.executed_qty),
                    (dec!(10000.00), dec!(0.001), dec!(0.0005))
                );
                assert_eq!(o.client_order_id, "11111-000000-000000");
                assert_eq!(o.update_time_ms, Some(1_622_455_199_000));
            }
            "rest_orders" => {
                let list = cb::parse_orders(&body).unwrap();
                assert_eq!(
                    (list[0].status, list[0].order_type),
                    (OrderStatus::Filled, OrderType::Market)
                );
                assert_eq!(list[0].cumulative_quote_qty, dec!(10));
                assert_eq!(
                    (list[1].status, list[1].order_type),
                    (OrderStatus::Canceled, OrderType::StopLossLimit)
                );
                assert_eq!(list[1].update_time_ms, Some(1_622_455_500_123));
            }
            "rest_batch_cancel" => cb::parse_cancel(&body).unwrap(),
            "rest_error_batch_cancel" => {
                assert_eq!(
                    cb::parse_cancel(&body).unwrap_err().venue_code(),
                    Some(cb::codes::CANCEL_REFUSED)
                );
            }
            "rest_key_permissions" => {
                let p = cb::parse_key_permissions(&body).unwrap();
                assert!(p.can_read && p.can_trade && p.can_withdraw);
                assert_eq!(p.ip_restricted, None);
            }
            other => panic!("fixture {other} selects no parser"),
        }
        parsed += 1;
    }
    assert_eq!(parsed, 10);
}
