//! The allocation-free API (`place_order_into`, `cancel_order_into`, `tick_into`) gives
//! exactly what the allocating one gives, appended after what the buffers already hold, and
//! appends nothing on a rejection (even one found after funds were checked).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use rust_decimal_macros::dec;
use tradeward_sim::engine::*;

const S: &str = "BTCUSDT";

fn engine() -> (Engine, AccountId) {
    let cfg = EngineConfig::new(
        3,
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
        .add_account("a", &[("USDT", dec!(100000)), ("BTC", dec!(1))])
        .unwrap();
    (e, a)
}

#[test]
fn into_forms_match_the_allocating_forms_and_append() {
    let (mut e1, a) = engine();
    let (mut e2, _) = engine();
    let orders = [
        NewOrder::limit(S, Side::Buy, dec!(0.1), dec!(49000)).client_id("rest"),
        NewOrder::market(S, Side::Buy, dec!(0.3)),
        NewOrder::limit(S, Side::Sell, dec!(0.2), dec!(49900)).tif(TimeInForce::Ioc),
    ];
    let mut out = Output::default();
    for (i, o) in orders.iter().enumerate() {
        let r = e1.place_order(a, o, 1_000 + i as u64).unwrap();
        let (ev0, f0) = (out.events.len(), out.fills.len());
        let order = e2
            .place_order_into(a, o, 1_000 + i as u64, &mut out)
            .unwrap();
        assert_eq!(order, r.order);
        assert_eq!(out.events[ev0..], r.events[..], "order {i}");
        assert_eq!(out.fills[f0..], r.fills[..], "order {i}");
        assert!(!r.events.is_empty());
    }
    assert!(out.fills.len() >= 2, "the market and IOC orders traded");

    let which = OrderRef::ClientId("rest".into());
    let (o1, ev1) = e1.cancel_order(a, S, &which, None, 2_000).unwrap();
    let before = out.events.len();
    let o2 = e2
        .cancel_order_into(a, S, &which, None, 2_000, &mut out.events)
        .unwrap();
    assert_eq!(o1, o2);
    assert_eq!(o2.status, OrderStatus::Canceled);
    assert_eq!(out.events[before..], ev1[..]);

    let t1 = e1.tick(3_000);
    let before = out.events.len();
    e2.tick_into(3_000, &mut out.events);
    assert_eq!(out.events[before..], t1[..]);
    assert!(!t1.is_empty(), "the house topped up what the takers ate");
    e2.check_invariants().unwrap();
}

#[test]
fn rejections_append_nothing() {
    let (mut e, a) = engine();
    let mut out = Output::default();
    e.place_order_into(a, &NewOrder::market(S, Side::Buy, dec!(0.01)), 1, &mut out)
        .unwrap();
    let kept = out.clone();
    // Refused by validation, before anything starts.
    let bad = NewOrder::limit("NOPE", Side::Buy, dec!(0.1), dec!(49000));
    assert_eq!(
        e.place_order_into(a, &bad, 2, &mut out),
        Err(RejectReason::InvalidSymbol)
    );
    // Refused once the operation began (funds): the abort keeps what was there.
    let rich = NewOrder::limit(S, Side::Buy, dec!(100), dec!(49000));
    assert_eq!(
        e.place_order_into(a, &rich, 3, &mut out),
        Err(RejectReason::InsufficientBalance)
    );
    assert_eq!(
        e.cancel_order_into(a, S, &OrderRef::Id(999_999), None, 4, &mut out.events),
        Err(RejectReason::UnknownOrderOnCancel)
    );
    assert_eq!(out, kept);
    // And the next operation's events are its own, not leftovers of the aborted one.
    let r = e
        .place_order(a, &NewOrder::limit(S, Side::Buy, dec!(0.1), dec!(49000)), 5)
        .unwrap();
    assert!(r
        .events
        .iter()
        .all(|ev| !matches!(ev, EngineEvent::ExecutionReport(x) if x.order.orig_qty == dec!(100))));
    e.check_invariants().unwrap();
}

#[test]
fn cancel_carries_its_own_client_id() {
    let (mut e, a) = engine();
    let rest = NewOrder::limit(S, Side::Buy, dec!(0.1), dec!(49000)).client_id("mine");
    e.place_order(a, &rest, 1).unwrap();
    // A malformed cancel id is refused and cancels nothing.
    let which = OrderRef::ClientId("mine".into());
    assert_eq!(
        e.cancel_order(a, S, &which, Some("bad id"), 2).unwrap_err(),
        RejectReason::IllegalChars("newClientOrderId", "^[\\.A-Z\\:/a-z0-9_-]{1,36}$")
    );
    assert_eq!(e.open_orders(a, Some(S)).unwrap().len(), 1);
    let (o, events) = e.cancel_order(a, S, &which, Some("cxl-1"), 3).unwrap();
    assert_eq!(o.client_order_id.as_str(), "mine", "the order keeps its id");
    let reports: Vec<_> = events
        .iter()
        .filter_map(|ev| match ev {
            EngineEvent::ExecutionReport(r) => Some(*r),
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 1);
    let r = reports[0];
    assert_eq!(r.execution_type, ExecutionType::Canceled);
    assert_eq!(
        r.detail,
        ExecutionDetail::Cancel(ShortStr::new("cxl-1").unwrap())
    );
    assert_eq!(
        (
            r.client_order_id().as_str(),
            r.orig_client_order_id().as_str()
        ),
        ("cxl-1", "mine")
    );
    assert_eq!(r.last_fill(), None);
    // The order's own id is free again; it is found in history under its own id.
    assert_eq!(e.order(a, S, &which).unwrap().status, OrderStatus::Canceled);
}
