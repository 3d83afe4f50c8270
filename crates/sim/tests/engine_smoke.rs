//! Smoke test of the engine's public API: build, fund, trade, query.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose
use rust_decimal_macros::dec;
use tradeward_sim::engine::*;

#[test]
fn market_buy_fills_against_house_and_conserves() {
    let cfg = EngineConfig::new(
        7,
        vec![MarketConfig::new(
            "BTCUSDT",
            "BTC",
            "USDT",
            dec!(50000),
            dec!(0.01),
            dec!(0.00001),
            dec!(5),
        )],
    );
    let mut e = Engine::new(cfg).unwrap();
    let a = e
        .add_account("alice", &[("USDT", dec!(100000)), ("BTC", dec!(1))])
        .unwrap();
    let before = e.total_by_asset();
    let r = e
        .place_order(a, &NewOrder::market("BTCUSDT", Side::Buy, dec!(0.1)), 1)
        .unwrap();
    assert_eq!(r.order.status, OrderStatus::Filled);
    assert!(!r.fills.is_empty());
    assert_eq!(e.total_by_asset(), before);
    e.check_invariants().unwrap();
}
