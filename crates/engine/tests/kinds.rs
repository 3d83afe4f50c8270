//! Known-answer tests per order kind and side: when each fires, what order it asks for, gaps,
//! limit offsets, trailing stops, OCO, OTO, ordering, and bad input. Alerts and the trading
//! switch: `alerts_and_switch.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use tradeward_domain::Side::{Buy, Sell};
use tradeward_engine::*;

#[test]
fn buy_stop_fires_when_price_rises_to_it() {
    let (mut b, btc, _) = books();
    b.arm(single(1, leg(Buy, "0.5", stop("105")))).unwrap();
    assert!(last(&mut b, btc, "104.5").is_empty());
    assert!(last(&mut b, btc, "90").is_empty());
    assert_eq!(
        last(&mut b, btc, "105"),
        ["fired 1.0 buy 0.5 market @105 obs=105"]
    );
    assert!(last(&mut b, btc, "106").is_empty(), "fires once");
    assert_eq!(b.armed_legs(), 0);
    assert!(!b.contains(tid(1)));
}

#[test]
fn sell_stop_fires_on_a_gap_past_it() {
    let (mut b, btc, _) = books();
    b.arm(single(1, leg(Sell, "1", stop("95")))).unwrap();
    assert!(last(&mut b, btc, "95.5").is_empty());
    assert_eq!(
        last(&mut b, btc, "80"),
        ["fired 1.0 sell 1 market @95 obs=80 gapped"]
    );
}

#[test]
fn stop_limit_places_the_limit_at_stop_plus_or_minus_offset_even_after_a_gap() {
    let (mut b, btc, _) = books();
    b.arm(single(1, leg(Buy, "0.5", stop_limit("105", "1.5"))))
        .unwrap();
    b.arm(single(2, leg(Sell, "0.5", stop_limit("95", "2"))))
        .unwrap();
    assert_eq!(
        last(&mut b, btc, "110"),
        ["fired 1.0 buy 0.5 limit 106.5 @105 obs=110 gapped"]
    );
    assert_eq!(
        last(&mut b, btc, "90"),
        ["fired 2.0 sell 0.5 limit 93 @95 obs=90 gapped"]
    );
}

#[test]
fn take_profits_fire_the_other_way_round() {
    let (mut b, btc, _) = books();
    b.arm(single(1, leg(Sell, "0.5", tp("110")))).unwrap();
    b.arm(single(
        2,
        leg(
            Buy,
            "0.5",
            OrderKind::TakeProfitLimit {
                trigger: d("90"),
                limit: LimitPrice::Price(d("90.5")),
            },
        ),
    ))
    .unwrap();
    assert!(last(&mut b, btc, "109.5").is_empty());
    assert_eq!(
        last(&mut b, btc, "110"),
        ["fired 1.0 sell 0.5 market @110 obs=110"]
    );
    assert_eq!(
        last(&mut b, btc, "90"),
        ["fired 2.0 buy 0.5 limit 90.5 @90 obs=90"]
    );
}

#[test]
fn sell_trailing_amount_follows_the_high() {
    let (mut b, btc, _) = books();
    b.arm(single(
        1,
        leg(Sell, "0.5", trailing(Trail::Amount(d("5")), None)),
    ))
    .unwrap();
    assert!(
        last(&mut b, btc, "96").is_empty(),
        "100 - 5 = 95 not reached"
    );
    assert!(
        last(&mut b, btc, "110").is_empty(),
        "new high: stop moves to 105"
    );
    assert!(last(&mut b, btc, "105.5").is_empty());
    assert_eq!(
        last(&mut b, btc, "104"),
        ["fired 1.0 sell 0.5 market @105 obs=104 gapped"]
    );
}

#[test]
fn buy_trailing_percent_follows_the_low() {
    let (mut b, btc, _) = books();
    // 2% of the low, floored to the 0.5 tick: at 100 -> 2, at 80 -> 1.5 (1.6 floored).
    b.arm(single(
        1,
        leg(Buy, "0.5", trailing(Trail::Percent(d("2")), None)),
    ))
    .unwrap();
    assert!(last(&mut b, btc, "101.5").is_empty(), "level 102");
    assert!(last(&mut b, btc, "80").is_empty(), "new low 80: level 81.5");
    assert!(last(&mut b, btc, "81").is_empty());
    assert_eq!(
        last(&mut b, btc, "81.5"),
        ["fired 1.0 buy 0.5 market @81.5 obs=81.5"]
    );
}

#[test]
fn trailing_activation_price_holds_it_until_reached() {
    let (mut b, btc, _) = books();
    b.arm(single(
        1,
        leg(Sell, "0.5", trailing(Trail::Amount(d("2")), Some("110"))),
    ))
    .unwrap();
    assert!(last(&mut b, btc, "109.5").is_empty());
    assert!(
        last(&mut b, btc, "90").is_empty(),
        "not active: no trailing yet"
    );
    assert!(
        last(&mut b, btc, "111").is_empty(),
        "activates at 111, level 109"
    );
    assert!(last(&mut b, btc, "112").is_empty(), "level 110");
    assert!(last(&mut b, btc, "110.5").is_empty());
    assert_eq!(
        last(&mut b, btc, "110"),
        ["fired 1.0 sell 0.5 market @110 obs=110"]
    );
}

#[test]
fn buy_trailing_with_activation_activates_on_the_way_down() {
    let (mut b, btc, _) = books();
    b.arm(single(
        1,
        leg(Buy, "0.5", trailing(Trail::Amount(d("1")), Some("95"))),
    ))
    .unwrap();
    assert!(last(&mut b, btc, "120").is_empty());
    assert!(
        last(&mut b, btc, "94").is_empty(),
        "activates at 94, level 95"
    );
    assert!(last(&mut b, btc, "93").is_empty(), "level 94");
    assert_eq!(
        last(&mut b, btc, "94.5"),
        ["fired 1.0 buy 0.5 market @94 obs=94.5 gapped"]
    );
}

#[test]
fn many_trailing_stops_share_a_new_high() {
    let (mut b, btc, _) = books();
    for (id, trail) in [(1, "3"), (2, "1"), (3, "2")] {
        b.arm(single(
            id,
            leg(Sell, "0.5", trailing(Trail::Amount(d(trail)), None)),
        ))
        .unwrap();
    }
    assert!(last(&mut b, btc, "120").is_empty());
    assert!(last(&mut b, btc, "119.5").is_empty());
    assert_eq!(
        last(&mut b, btc, "118"),
        [
            "fired 2.0 sell 0.5 market @119 obs=118 gapped",
            "fired 3.0 sell 0.5 market @118 obs=118"
        ]
    );
    assert!(last(&mut b, btc, "125").is_empty());
    assert_eq!(
        last(&mut b, btc, "100"),
        ["fired 1.0 sell 0.5 market @122 obs=100 gapped"]
    );
}

#[test]
fn oco_fires_one_leg_and_cancels_the_other_atomically() {
    let (mut b, btc, _) = books();
    b.arm(order(
        1,
        "BTC/USDT",
        OrderPlan::Oco {
            first: leg(Sell, "0.5", tp("110")),
            second: leg(Sell, "0.5", stop("90")),
        },
    ))
    .unwrap();
    assert_eq!(b.armed_legs(), 2);
    assert_eq!(
        last(&mut b, btc, "89"),
        [
            "fired 1.1 sell 0.5 market @90 obs=89 gapped",
            "cancelled 1.0 OcoSiblingFired"
        ]
    );
    assert!(last(&mut b, btc, "200").is_empty());
    assert_eq!(b.armed_legs(), 0);
}

#[test]
fn bracket_arms_its_follow_ups_when_the_entry_fires() {
    let (mut b, btc, _) = books();
    b.arm(order(
        1,
        "BTC/USDT",
        OrderPlan::Oto {
            primary: leg(Buy, "0.5", stop("105")),
            then: FollowUp::Oco {
                first: leg(Sell, "0.5", tp("115")),
                second: leg(Sell, "0.5", stop("100")),
            },
        },
    ))
    .unwrap();
    assert!(
        last(&mut b, btc, "99").is_empty(),
        "follow-ups not armed yet"
    );
    assert_eq!(
        last(&mut b, btc, "105"),
        [
            "fired 1.0 buy 0.5 market @105 obs=105",
            "armed 1.1",
            "armed 1.2"
        ]
    );
    assert_eq!(
        last(&mut b, btc, "116"),
        [
            "fired 1.1 sell 0.5 market @115 obs=116 gapped",
            "cancelled 1.2 OcoSiblingFired"
        ]
    );
    assert_eq!(b.armed_legs(), 0);
    assert!(!b.contains(tid(1)));
}

#[test]
fn bracket_follow_up_crossed_by_the_same_gap_fires_in_the_same_update() {
    let (mut b, btc, _) = books();
    b.arm(order(
        1,
        "BTC/USDT",
        OrderPlan::Oto {
            primary: leg(Buy, "0.5", stop("105")),
            then: FollowUp::Oco {
                first: leg(Sell, "0.5", tp("115")),
                second: leg(Sell, "0.5", stop("100")),
            },
        },
    ))
    .unwrap();
    assert_eq!(
        last(&mut b, btc, "120"),
        [
            "fired 1.0 buy 0.5 market @105 obs=120 gapped",
            "armed 1.1",
            "armed 1.2",
            "fired 1.1 sell 0.5 market @115 obs=120 gapped",
            "cancelled 1.2 OcoSiblingFired"
        ]
    );
}

#[test]
fn triggers_watch_their_own_source() {
    let (mut b, btc, _) = books();
    let mut l = leg(Sell, "0.5", stop("95"));
    l.source = PriceSource::Bid;
    b.arm(single(1, l)).unwrap();
    assert!(last(&mut b, btc, "90").is_empty());
    assert!(at(&mut b, btc, PriceSource::Ask, "90").is_empty());
    assert_eq!(
        at(&mut b, btc, PriceSource::Bid, "94.5"),
        ["fired 1.0 sell 0.5 market @95 obs=94.5 gapped"]
    );
}

#[test]
fn one_gap_fires_in_crossing_order_then_arming_order() {
    let (mut b, btc, _) = books();
    b.arm(single(1, leg(Sell, "1", stop("90")))).unwrap();
    b.arm(single(2, leg(Sell, "2", stop("95")))).unwrap();
    b.arm(single(3, leg(Sell, "3", stop("90")))).unwrap();
    b.arm(single(4, leg(Buy, "4", stop("101")))).unwrap();
    assert_eq!(
        last(&mut b, btc, "85"),
        [
            "fired 2.0 sell 2 market @95 obs=85 gapped",
            "fired 1.0 sell 1 market @90 obs=85 gapped",
            "fired 3.0 sell 3 market @90 obs=85 gapped"
        ]
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_error_and_nothing_armed() {
    let (mut b, _, _) = books();
    let cases: Vec<(TriggerSpec, &str)> = vec![
        (
            single(1, leg(Buy, "0.5", stop("95"))),
            "leg 0: buy stop at 95 must be above the current price 100",
        ),
        (
            single(1, leg(Sell, "0.5", stop("105"))),
            "leg 0: sell stop at 105 must be below the current price 100",
        ),
        (
            single(1, leg(Sell, "0.5", tp("95"))),
            "leg 0: sell take-profit at 95 must be above the current price 100",
        ),
        (
            single(1, leg(Buy, "0.0005", stop("105"))),
            "leg 0: quantity 0.0005 is below the step size 0.001",
        ),
        (
            single(1, leg(Buy, "0.0015", stop("105"))),
            "leg 0: quantity 0.0015 is not a multiple of the step size 0.001",
        ),
        (
            single(1, leg(Buy, "0.5", stop("105.2"))),
            "leg 0: stop 105.2 is not a positive multiple of the tick size 0.5",
        ),
        (
            single(1, leg(Buy, "0.001", stop("105"))),
            "leg 0: order value 0.105 is below the minimum notional 1",
        ),
        (
            order(1, "DOGE/USDT", OrderPlan::Single(leg(Buy, "1", stop("1")))),
            "unknown market sim DOGE/USDT",
        ),
        (
            order(
                1,
                "BTC/USDT",
                OrderPlan::Oco {
                    first: leg(Sell, "0.5", tp("110")),
                    second: leg(Sell, "0.5", stop("101")),
                },
            ),
            "leg 1: sell stop at 101 must be below the current price 100",
        ),
        (
            order(
                1,
                "BTC/USDT",
                OrderPlan::Oto {
                    primary: leg(Buy, "0.5", stop("105")),
                    then: FollowUp::Single(leg(Sell, "0.5", stop("106"))),
                },
            ),
            "leg 1: sell stop at 106 must be below the current price 105",
        ),
        (
            single(1, leg(Sell, "0.5", trailing(Trail::Percent(d("0.00001")), None))),
            "trail percent 0.00001 must be greater than 0, less than 100 and have at most 4 decimals",
        ),
        (
            single(1, leg(Sell, "0.5", trailing(Trail::Amount(d("2")), Some("99")))),
            "leg 0: sell trailing activation at 99 must be above the current price 100",
        ),
        (
            alert(1, PriceSource::Bid, AlertCondition::Above(d("99"))),
            "leg 0: alert level at 99 must be above the current price 100",
        ),
    ];
    for (spec, message) in cases {
        let err = b.arm(spec).unwrap_err();
        assert_eq!(err.to_string(), message);
        assert_eq!(b.armed_legs(), 0, "{message}: nothing armed");
        assert!(!b.contains(tid(1)));
    }
}

#[test]
fn arming_needs_a_price_and_a_fresh_id() {
    let mut b = TriggerBooks::new();
    let m = b.add_market(key("BTC/USDT"), rules("1", "1", "0")).unwrap();
    let err = b.arm(single(1, leg(Buy, "1", stop("105")))).unwrap_err();
    assert!(matches!(err, ArmError::NoPrice { .. }), "{err}");
    b.on_price(m, PriceSource::Last, d("100"), &mut Vec::new())
        .unwrap();
    b.arm(single(1, leg(Buy, "1", stop("105")))).unwrap();
    assert_eq!(
        b.arm(single(1, leg(Buy, "1", stop("106")))).unwrap_err(),
        ArmError::DuplicateId(tid(1))
    );
    assert!(b.add_market(key("BTC/USDT"), rules("1", "1", "0")).is_err());
}

#[test]
fn off_tick_prices_are_refused() {
    let (mut b, btc, _) = books();
    let err = b
        .on_price(btc, PriceSource::Last, d("100.25"), &mut Vec::new())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "price 100.25 is not a positive multiple of the tick size 0.5"
    );
    assert!(b
        .on_price_ticks(btc, PriceSource::Last, 0, &mut Vec::new())
        .is_err());
}

#[test]
fn cancel_removes_every_leg() {
    let (mut b, btc, _) = books();
    b.arm(order(
        1,
        "BTC/USDT",
        OrderPlan::Oco {
            first: leg(Sell, "0.5", tp("110")),
            second: leg(Sell, "0.5", stop("90")),
        },
    ))
    .unwrap();
    b.cancel(tid(1)).unwrap();
    assert_eq!(b.armed_legs(), 0);
    assert!(last(&mut b, btc, "80").is_empty());
    assert_eq!(b.cancel(tid(1)).unwrap_err(), NotArmed(tid(1)));
}
