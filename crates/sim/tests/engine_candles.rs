//! `close_klines`: candles are reported once, when their interval has ended, with the same
//! values the REST klines query gives; the first call reports only the latest closed one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use rust_decimal_macros::dec;
use tradeward_sim::engine::*;

const S: &str = "BTCUSDT";
const MIN: u64 = 60_000;

fn engine() -> (Engine, AccountId) {
    let cfg = EngineConfig::new(
        5,
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
    let mut e = Engine::new(cfg).unwrap();
    let a = e
        .add_account("a", &[("USDT", dec!(1000000)), ("BTC", dec!(10))])
        .unwrap();
    (e, a)
}

fn trade(e: &mut Engine, a: AccountId, side: Side, now: u64) {
    let r = e
        .place_order(a, &NewOrder::market(S, side, dec!(0.01)), now)
        .unwrap();
    assert_eq!(r.order.status, OrderStatus::Filled);
}

fn closed(events: &[EngineEvent]) -> Vec<(KlineInterval, Kline)> {
    events
        .iter()
        .map(|ev| match ev {
            EngineEvent::KlineClosed(k) => {
                assert_eq!(k.symbol.as_str(), S);
                (k.interval, k.kline)
            }
            other => panic!("unexpected event {other:?}"),
        })
        .collect()
}

fn rest(e: &Engine, iv: KlineInterval, open_time: u64) -> Kline {
    e.klines(S, iv, Some(open_time), Some(open_time), 1)
        .unwrap()
        .pop()
        .unwrap()
}

#[test]
fn candles_close_once_when_their_interval_ends() {
    let (mut e, a) = engine();
    // Minute 1 (60_000..=119_999): two trades; minute 2: one.
    trade(&mut e, a, Side::Buy, MIN + 1_000);
    trade(&mut e, a, Side::Sell, MIN + 2_000);
    assert!(
        e.close_klines(2 * MIN - 1).is_empty(),
        "minute 1 still open"
    );

    let first = closed(&e.close_klines(2 * MIN));
    assert_eq!(first.len(), 1, "only the 1m candle ended: {first:?}");
    let (iv, k) = first[0];
    assert_eq!(iv, KlineInterval::M1);
    assert_eq!((k.open_time, k.close_time, k.trades), (MIN, 2 * MIN - 1, 2));
    assert_eq!(k, rest(&e, KlineInterval::M1, MIN));
    assert!(e.close_klines(2 * MIN + 500).is_empty(), "reported once");

    trade(&mut e, a, Side::Buy, 2 * MIN + 5_000);
    let next = closed(&e.close_klines(3 * MIN));
    let ivs: Vec<_> = next.iter().map(|(iv, _)| *iv).collect();
    assert_eq!(ivs, vec![KlineInterval::M1, KlineInterval::M3]);
    let (_, m1) = next[0];
    assert_eq!((m1.open_time, m1.trades), (2 * MIN, 1));
    let (_, m3) = next[1];
    // The 3m candle (0..=179_999) spans all three trades.
    assert_eq!(
        (m3.open_time, m3.close_time, m3.trades),
        (0, 3 * MIN - 1, 3)
    );
    assert_eq!(m3, rest(&e, KlineInterval::M3, 0));
    assert_eq!(m3.volume, dec!(0.03));
    e.check_invariants().unwrap();
}

#[test]
fn first_call_reports_only_the_latest_closed_candle() {
    let (mut e, a) = engine();
    trade(&mut e, a, Side::Buy, MIN + 1_000);
    trade(&mut e, a, Side::Buy, 3 * MIN + 1_000);
    let got = closed(&e.close_klines(10 * MIN));
    let m1: Vec<_> = got
        .iter()
        .filter(|(iv, _)| *iv == KlineInterval::M1)
        .map(|(_, k)| k.open_time)
        .collect();
    assert_eq!(m1, vec![3 * MIN], "not the older minute-1 candle");
    // 3m: candles 0..=179_999 and 180_000..=359_999 both ended; the latest only.
    let m3: Vec<_> = got
        .iter()
        .filter(|(iv, _)| *iv == KlineInterval::M3)
        .map(|(_, k)| k.open_time)
        .collect();
    assert_eq!(m3, vec![3 * MIN]);
    // 5m: 0..=299_999 holds both trades and ended.
    let m5: Vec<_> = got
        .iter()
        .filter(|(iv, _)| *iv == KlineInterval::M5)
        .map(|(_, k)| (k.open_time, k.trades))
        .collect();
    assert_eq!(m5, vec![(0, 2)]);
    // No longer interval (15m and up) has ended by minute 10.
    assert!(got.iter().all(|(iv, _)| iv.millis() <= 5 * MIN));
}
