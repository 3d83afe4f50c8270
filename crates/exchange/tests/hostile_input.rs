//! Every parser fed malformed, truncated and hostile input: it must return an error (or
//! `None` for frames it ignores), never panic, and never quote the input in its error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tradeward_domain::{Symbol, Venue};
use tradeward_exchange::binance::common::{
    parse_account, parse_error, parse_exchange_info, parse_listen_key, parse_market_frame,
    parse_order, parse_orders, parse_server_time, parse_user_frame,
};

const MARKER: &str = "ZQXJMARKERZQXJ";

fn data(name: &str) -> String {
    let path = format!("{}/test_data/binance/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("test data file")
}

fn resolve(s: &str) -> Option<Symbol> {
    ["ETHBTC", "LTCBTC", "BTCUSDT", "BNBBTC", "BNBUSDT"]
        .contains(&s)
        .then(|| "BTC/USDT".parse().unwrap())
}

/// Runs every parser over `input`; returns the error texts.
fn all_errors(input: &str) -> Vec<String> {
    let b = input.as_bytes();
    let mut errs = Vec::new();
    let mut note = |r: Result<(), String>| {
        if let Err(e) = r {
            errs.push(e);
        }
    };
    let _ = parse_error(b);
    note(parse_server_time(b).map(|_| ()).map_err(|e| e.to_string()));
    note(
        parse_exchange_info(b)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    note(parse_account(b).map(|_| ()).map_err(|e| e.to_string()));
    note(
        parse_order(Venue::Sim, b, &resolve)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    note(
        parse_orders(Venue::Sim, b, &resolve)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    note(parse_listen_key(b).map(|_| ()).map_err(|e| e.to_string()));
    note(
        parse_market_frame(Venue::Sim, input, &resolve, 0)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    note(
        parse_user_frame(Venue::Sim, input, &resolve)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    errs
}

fn assert_not_quoted(input: &str) {
    for e in all_errors(input) {
        assert!(!e.contains(MARKER), "an error quoted the input: {e}");
    }
}

const CAPTURED: &[&str] = &[
    "rest_account.json",
    "rest_cancel_order.json",
    "rest_exchange_info.json",
    "rest_open_orders.json",
    "rest_order_full.json",
    "rest_query_order.json",
    "ws_account_position.json",
    "ws_book_ticker.json",
    "ws_combined_trade.json",
    "ws_execution_report.json",
    "ws_trade.json",
];

#[test]
fn every_truncation_of_every_capture_is_an_error_not_a_panic() {
    for name in CAPTURED {
        let text = data(name);
        for cut in 0..text.len() {
            if !text.is_char_boundary(cut) {
                continue;
            }
            let part = &text[..cut];
            // Truncated JSON must never be accepted by the parser the file belongs to.
            all_errors(part);
        }
    }
}

/// Whether the parser a payload belongs to refuses it.
fn owner_refuses(owner: &str, input: &str) -> bool {
    let b = input.as_bytes();
    match owner {
        "market" => parse_market_frame(Venue::Sim, input, &resolve, 0).is_err(),
        "user" => parse_user_frame(Venue::Sim, input, &resolve).is_err(),
        "order" => parse_order(Venue::Sim, b, &resolve).is_err(),
        "info" => parse_exchange_info(b).is_err(),
        "account" => parse_account(b).is_err(),
        "key" => parse_listen_key(b).is_err(),
        "time" => parse_server_time(b).is_err(),
        other => panic!("unknown owner {other}"),
    }
}

#[test]
fn hostile_values_are_refused_without_being_quoted() {
    let trade = data("ws_trade.json");
    let order = data("rest_query_order.json");
    let cases = [
        // Wrong types and values carrying the marker.
        (
            "market",
            trade.replace(r#""p": "0.001""#, &format!(r#""p": "{MARKER}""#)),
        ),
        (
            "market",
            trade.replace(r#""t": 12345"#, &format!(r#""t": "{MARKER}""#)),
        ),
        (
            "order",
            order.replace(r#""status": "NEW""#, &format!(r#""status": "{MARKER}""#)),
        ),
        (
            "order",
            order.replace(r#""side": "BUY""#, &format!(r#""side": "{MARKER}""#)),
        ),
        (
            "user",
            data("ws_execution_report.json")
                .replace(r#""x": "NEW""#, &format!(r#""x": "{MARKER}""#)),
        ),
        (
            "info",
            data("rest_exchange_info.json").replace(
                r#""tickSize": "0.00000100""#,
                &format!(r#""tickSize": "{MARKER}""#),
            ),
        ),
        (
            "account",
            data("rest_account.json").replace(
                r#""asset": "BTC""#,
                &format!(r#""asset": "{MARKER} \u0007""#),
            ),
        ),
        (
            "key",
            data("rest_listen_key.json").replace("pqia91", &format!("{MARKER}-/")),
        ),
        // Huge numbers.
        (
            "market",
            trade.replace(r#""t": 12345"#, r#""t": 123456789012345678901234567890"#),
        ),
        (
            "market",
            trade.replace(
                r#""p": "0.001""#,
                r#""p": "123456789012345678901234567890123""#,
            ),
        ),
        ("market", trade.replace(r#""t": 12345"#, r#""t": 1e400"#)),
        (
            "time",
            data("rest_time.json").replace("1499827319559", "-1"),
        ),
        (
            "order",
            data("rest_order_full.json")
                .replace(r#""orderId": 28"#, r#""orderId": 18446744073709551616"#),
        ),
        // Floats where Binance sends strings.
        (
            "market",
            data("ws_book_ticker.json").replace(r#""25.35190000""#, "25.3519"),
        ),
    ];
    for (owner, c) in &cases {
        assert_not_quoted(c);
        assert!(
            owner_refuses(owner, c),
            "{owner} parser accepted hostile input: {c}"
        );
    }
}

#[test]
fn deep_nesting_and_huge_inputs_are_errors() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(all_errors(&deep).len(), 8);
    let huge = format!(r#"{{"serverTime": {}}}"#, "9".repeat(100_000));
    assert!(parse_server_time(huge.as_bytes()).is_err());
    let long_string = format!(r#"{{"listenKey": "{}"}}"#, "a".repeat(100_000));
    assert!(parse_listen_key(long_string.as_bytes()).is_err());
}

fn mutate(text: &str, pos: usize, replacement: &str) -> String {
    let mut s = text.to_owned();
    let mut p = pos % (s.len() + 1);
    while !s.is_char_boundary(p) {
        p -= 1;
    }
    s.insert_str(p, replacement);
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(input in ".{0,400}") {
        all_errors(&input);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        all_errors(&text);
    }

    #[test]
    fn captures_with_injected_garbage_never_panic_or_quote(
        file in 0..CAPTURED.len(),
        pos in any::<usize>(),
        junk in prop_oneof![
            Just(format!(r#""{MARKER}""#)),
            Just(MARKER.to_owned()),
            Just(format!(r#","x":"{MARKER}""#)),
            Just(r#"99999999999999999999999999999"#.to_owned()),
            Just("-".to_owned()),
            Just("null".to_owned()),
            Just("{".to_owned()),
            Just("]".to_owned()),
            Just("\"".to_owned()),
            "[a-zA-Z0-9\"{}\\[\\]:,.-]{1,12}",
        ],
    ) {
        let text = mutate(&data(CAPTURED[file]), pos, &junk);
        assert_not_quoted(&text);
    }

    #[test]
    fn values_replaced_with_hostile_json_never_panic_or_quote(
        file in 0..CAPTURED.len(),
        which in any::<usize>(),
        value in prop_oneof![
            Just(format!(r#""{MARKER}""#)),
            Just("1e999".to_owned()),
            Just("-0".to_owned()),
            Just("18446744073709551616".to_owned()),
            Just("-9223372036854775809".to_owned()),
            Just(r#""-79228162514264337593543950336""#.to_owned()),
            Just(r#""0.0000000000000000000000000000001""#.to_owned()),
            Just("[]".to_owned()),
            Just("{}".to_owned()),
            Just("true".to_owned()),
            Just("null".to_owned()),
            Just(format!(r#"["{MARKER}"]"#)),
        ],
    ) {
        let text = data(CAPTURED[file]);
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        // Splice the raw text in: some hostile values (1e999) have no serde_json::Value.
        replace_nth_leaf(&mut v, which, &serde_json::Value::String("@@HOSTILE@@".into()));
        let spliced = v.to_string().replace("\"@@HOSTILE@@\"", &value);
        assert_not_quoted(&spliced);
    }
}

/// Replaces the `n`-th leaf (mod the leaf count) of `v` with `with`.
fn replace_nth_leaf(v: &mut serde_json::Value, n: usize, with: &serde_json::Value) {
    fn count(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Object(m) => m.values().map(count).sum(),
            serde_json::Value::Array(a) => a.iter().map(count).sum(),
            _ => 1,
        }
    }
    fn walk(v: &mut serde_json::Value, n: &mut usize, with: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Object(m) => m.values_mut().any(|c| walk(c, n, with)),
            serde_json::Value::Array(a) => a.iter_mut().any(|c| walk(c, n, with)),
            leaf => {
                if *n == 0 {
                    *leaf = with.clone();
                    true
                } else {
                    *n -= 1;
                    false
                }
            }
        }
    }
    let total = count(v).max(1);
    let mut k = n % total;
    walk(v, &mut k, with);
}
