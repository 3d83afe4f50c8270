//! The house market maker on a static market: `tick` tops up the levels takers filled away,
//! at the same prices, and leaves open (even partly filled) quotes as they are.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use rust_decimal_macros::dec;
use tradeward_sim::engine::*;

const S: &str = "BTCUSDT";

fn engine() -> (Engine, AccountId) {
    let mut cfg = EngineConfig::new(
        7,
        vec![MarketConfig::new(
            S,
            "BTC",
            "USDT",
            dec!(50000),
            dec!(0.01),
            dec!(0.00001),
            dec!(5),
        )],
    );
    cfg.house.levels = 2;
    let mut e = Engine::new(cfg).unwrap();
    let a = e
        .add_account("a", &[("USDT", dec!(1000000)), ("BTC", dec!(10))])
        .unwrap();
    (e, a)
}

#[test]
fn static_tick_refills_filled_levels_and_keeps_partly_filled_ones() {
    let (mut e, a) = engine();
    let before = e.depth(S, 10).unwrap();
    // 0.5 bps and 1.5 bps around 50000.
    let ask_prices: Vec<_> = before.asks.iter().map(|l| l.0).collect();
    assert_eq!(ask_prices, vec![dec!(50002.50), dec!(50007.50)]);
    let bid_prices: Vec<_> = before.bids.iter().map(|l| l.0).collect();
    assert_eq!(bid_prices, vec![dec!(49997.50), dec!(49992.50)]);
    let (best_qty, second_qty) = (before.asks[0].1, before.asks[1].1);

    // Eat the best ask whole and 0.01 of the second.
    let buy = NewOrder::market(S, Side::Buy, best_qty + dec!(0.01));
    let r = e.place_order(a, &buy, 1_000).unwrap();
    assert_eq!(r.order.status, OrderStatus::Filled);
    assert_eq!(r.fills.len(), 2);
    let eaten = e.depth(S, 10).unwrap();
    assert_eq!(eaten.asks, vec![(dec!(50007.50), second_qty - dec!(0.01))]);

    let events = e.tick(2_000);
    e.check_invariants().unwrap();
    let after = e.depth(S, 10).unwrap();
    assert_eq!(after.bids, before.bids, "untouched bids stay as they were");
    assert_eq!(after.asks.len(), 2);
    assert_eq!(
        after.asks[0].0,
        dec!(50002.50),
        "refilled at the ladder price"
    );
    assert!(after.asks[0].1 > dec!(0));
    assert_eq!(
        after.asks[1],
        (dec!(50007.50), second_qty - dec!(0.01)),
        "a partly filled quote keeps its size and queue place"
    );
    // Only the refilled level shows in the depth diff.
    let diffs: Vec<_> = events
        .iter()
        .filter_map(|ev| match ev {
            EngineEvent::DepthUpdate(d) => Some((d.bids.to_vec(), d.asks.to_vec())),
            _ => None,
        })
        .collect();
    assert_eq!(diffs, vec![(vec![], vec![after.asks[0]])]);

    // Nothing eaten: a tick changes nothing and says nothing.
    assert!(e.tick(3_000).is_empty());
    assert_eq!(e.depth(S, 10).unwrap(), after);
}

#[test]
fn price_jump_replaces_the_whole_ladder() {
    let (mut e, _) = engine();
    e.trade_at(S, dec!(51000), 1_000).unwrap();
    let d = e.depth(S, 10).unwrap();
    let asks: Vec<_> = d.asks.iter().map(|l| l.0).collect();
    let bids: Vec<_> = d.bids.iter().map(|l| l.0).collect();
    assert_eq!(asks, vec![dec!(51002.55), dec!(51007.65)]);
    assert_eq!(bids, vec![dec!(50997.45), dec!(50992.35)]);
    e.check_invariants().unwrap();
}
