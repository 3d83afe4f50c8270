//! The Kraken and Coinbase parsers fed malformed, truncated and hostile input: errors, never
//! panics, and never the input quoted in an error. (A venue's own error string, which the
//! rejection carries cleaned and truncated by design, is the one exception: errors that are
//! venue rejections are not checked for the marker.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tradeward_domain::{Symbol, Venue};
use tradeward_exchange::coinbase::common as cb;
use tradeward_exchange::kraken::common as kr;

const MARKER: &str = "ZQXJMARKERZQXJ";

const KRAKEN: &[&str] = &[
    "rest_add_order.json",
    "rest_api_key_info.json",
    "rest_asset_pairs.json",
    "rest_balance_ex.json",
    "rest_cancel_order.json",
    "rest_closed_orders.json",
    "rest_open_orders.json",
    "rest_query_orders.json",
    "rest_time.json",
    "ws_ticker.json",
    "ws_trade.json",
];

const COINBASE: &[&str] = &[
    "rest_accounts.json",
    "rest_batch_cancel.json",
    "rest_create_order.json",
    "rest_key_permissions.json",
    "rest_order.json",
    "rest_orders.json",
    "rest_products.json",
];

fn data(venue: &str, name: &str) -> String {
    let path = format!("{}/test_data/{venue}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("test data file")
}

fn resolve(s: &str) -> Option<Symbol> {
    ["XBTUSD", "XBTEUR", "MATIC/USD", "ALGO/USD"]
        .contains(&s)
        .then(|| "BTC/USD".parse().unwrap())
}

/// Every parser over `input`; the error texts that are ours (not venue rejections).
fn all_errors(input: &str) -> Vec<String> {
    let b = input.as_bytes();
    let mut seq = 0;
    let results: Vec<Result<(), tradeward_exchange::ExchangeError>> = vec![
        kr::parse_server_time(b).map(|_| ()),
        kr::parse_asset_pairs(b).map(|_| ()),
        kr::parse_balance_ex(b).map(|_| ()),
        kr::parse_txid(b).map(|_| ()),
        kr::parse_cancel(b).map(|_| ()),
        kr::parse_order_map(Venue::Kraken, b, &resolve).map(|_| ()),
        kr::parse_orders_page(Venue::Kraken, b, &resolve).map(|_| ()),
        kr::parse_api_key_info(b).map(|_| ()),
        kr::parse_ws_message(Venue::Kraken, input, &resolve, 0, &mut seq).map(|_| ()),
        cb::parse_products(b).map(|_| ()),
        cb::parse_accounts(b).map(|_| ()),
        cb::parse_create_order(b).map(|_| ()),
        cb::parse_order(b).map(|_| ()),
        cb::parse_orders(b).map(|_| ()),
        cb::parse_cancel(b),
        cb::parse_key_permissions(b).map(|_| ()),
    ];
    let _ = cb::parse_error(b);
    let _ = kr::parse_envelope_error(b);
    results
        .into_iter()
        .filter_map(Result::err)
        .filter(|e| !matches!(e, tradeward_exchange::ExchangeError::Rejected { .. }))
        .map(|e| e.to_string())
        .collect()
}

fn assert_not_quoted(input: &str) {
    for e in all_errors(input) {
        assert!(!e.contains(MARKER), "an error quoted the input: {e}");
    }
}

fn captures() -> Vec<String> {
    KRAKEN
        .iter()
        .map(|n| data("kraken", n))
        .chain(COINBASE.iter().map(|n| data("coinbase", n)))
        .collect()
}

#[test]
fn every_truncation_of_every_capture_is_an_error_not_a_panic() {
    for text in captures() {
        // Every cut of short captures, about 500 evenly spread cuts of long ones (keeps the
        // test to a second or two in debug builds).
        let step = (text.len() / 500).max(1);
        for cut in (0..text.len()).step_by(step) {
            if text.is_char_boundary(cut) {
                assert_not_quoted(&text[..cut]);
            }
        }
    }
}

#[test]
fn hostile_values_are_refused() {
    let trade = data("kraken", "ws_trade.json");
    let mut seq = 0;
    for bad in [
        trade.replace("0.5117", "1e400"),
        trade.replace("0.5117", &"9".repeat(80)),
        trade.replace("0.5117", "-1"),
        trade.replace("4665906", "18446744073709551616"),
        trade.replace("\"2023-09-25T07:49:37.708706Z\"", &format!("\"{MARKER}\"")),
        trade.replace("0.5117", &format!("\"{MARKER}\"")),
    ] {
        let r = kr::parse_ws_message(Venue::Kraken, &bad, &resolve, 0, &mut seq);
        let e = r.expect_err("hostile trade accepted").to_string();
        assert!(!e.contains(MARKER), "{e}");
    }
    let bal = data("kraken", "rest_balance_ex.json").replace("\"8249.76\"", "\"99999999\"");
    assert!(
        kr::parse_balance_ex(bal.as_bytes()).is_err(),
        "hold above balance"
    );
    let acc = data("coinbase", "rest_accounts.json").replace("\"1.23\"", "\"-1.23\"");
    assert!(cb::parse_accounts(acc.as_bytes()).is_err());
    let ord = data("coinbase", "rest_order.json").replace("\"OPEN\"", &format!("\"{MARKER}\""));
    let e = cb::parse_order(ord.as_bytes()).unwrap_err().to_string();
    assert!(!e.contains(MARKER), "{e}");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(all_errors(&deep).len() >= 15);
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(input in ".{0,400}") {
        all_errors(&input);
    }

    #[test]
    fn captures_with_injected_garbage_never_panic_or_quote(
        file in 0..(KRAKEN.len() + COINBASE.len()),
        pos in any::<usize>(),
        junk in prop_oneof![
            Just(format!(r#""{MARKER}""#)),
            Just(MARKER.to_owned()),
            Just(format!(r#","x":"{MARKER}""#)),
            Just("99999999999999999999999999999".to_owned()),
            Just("null".to_owned()),
            Just("{".to_owned()),
            Just("]".to_owned()),
            "[a-zA-Z0-9\"{}\\[\\]:,.-]{1,12}",
        ],
    ) {
        let text = mutate(&captures()[file], pos, &junk);
        assert_not_quoted(&text);
    }

    #[test]
    fn values_replaced_with_hostile_json_never_panic_or_quote(
        file in 0..(KRAKEN.len() + COINBASE.len()),
        which in any::<usize>(),
        value in prop_oneof![
            Just(format!(r#""{MARKER}""#)),
            Just("1e999".to_owned()),
            Just("18446744073709551616".to_owned()),
            Just(r#""-79228162514264337593543950336""#.to_owned()),
            Just("[]".to_owned()),
            Just("{}".to_owned()),
            Just("true".to_owned()),
            Just("null".to_owned()),
            Just(format!(r#"["{MARKER}"]"#)),
        ],
    ) {
        let mut v: serde_json::Value = serde_json::from_str(&captures()[file]).unwrap();
        replace_nth_leaf(&mut v, which, &serde_json::Value::String("@@HOSTILE@@".into()));
        let spliced = v.to_string().replace("\"@@HOSTILE@@\"", &value);
        assert_not_quoted(&spliced);
    }
}
