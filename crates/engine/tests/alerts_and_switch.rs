//! Known-answer tests for price and balance alerts and for the trading switch: alerts fire once
//! and keep working while trading is off; order legs met while it is off are missed, never fired
//! late.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use tradeward_domain::Side::{Buy, Sell};
use tradeward_engine::*;

#[test]
fn alerts_above_below_and_crossing() {
    let (mut b, btc, _) = books();
    b.arm(alert(1, PriceSource::Last, AlertCondition::Above(d("105"))))
        .unwrap();
    b.arm(alert(2, PriceSource::Last, AlertCondition::Below(d("95"))))
        .unwrap();
    b.arm(alert(
        3,
        PriceSource::Last,
        AlertCondition::Crossing(d("102")),
    ))
    .unwrap();
    b.arm(alert(
        4,
        PriceSource::Last,
        AlertCondition::Crossing(d("97")),
    ))
    .unwrap();
    assert_eq!(last(&mut b, btc, "102"), ["alert 3 @102 obs=102"]);
    assert_eq!(last(&mut b, btc, "106"), ["alert 1 @105 obs=106"]);
    assert_eq!(
        last(&mut b, btc, "90"),
        ["alert 4 @97 obs=90", "alert 2 @95 obs=90"]
    );
    assert_eq!(b.armed_legs(), 0, "alerts fire once");
    assert_eq!(
        b.arm(alert(
            5,
            PriceSource::Last,
            AlertCondition::Crossing(d("90"))
        ))
        .unwrap_err(),
        ArmError::AtCurrentPrice(d("90"))
    );
}

#[test]
fn percent_move_alert_rounds_outward_and_fires_once() {
    let (mut b, btc, _) = books();
    // 1.2% of 100 = 1.2 -> outward to whole 0.5 ticks: 101.5 and 98.5.
    let pm = AlertCondition::PercentMove {
        percent: d("1.2"),
        reference: None,
    };
    b.arm(alert(1, PriceSource::Last, pm)).unwrap();
    b.arm(alert(2, PriceSource::Last, pm)).unwrap();
    assert_eq!(b.armed_legs(), 4);
    assert!(last(&mut b, btc, "101").is_empty());
    assert!(last(&mut b, btc, "99").is_empty());
    assert_eq!(
        last(&mut b, btc, "98.5"),
        ["alert 1 @98.5 obs=98.5", "alert 2 @98.5 obs=98.5"]
    );
    assert_eq!(b.armed_legs(), 0, "the other direction went with it");
    assert!(last(&mut b, btc, "200").is_empty());
}

#[test]
fn trading_off_marks_met_triggers_missed_and_never_fires_them_late() {
    let (mut b, btc, _) = books();
    b.arm(single(1, leg(Sell, "0.5", stop("95")))).unwrap();
    b.arm(alert(2, PriceSource::Last, AlertCondition::Below(d("94"))))
        .unwrap();
    b.arm(single(3, leg(Buy, "0.5", stop("120")))).unwrap();
    b.set_trading(false);
    assert!(!b.trading_enabled());
    assert_eq!(
        last(&mut b, btc, "90"),
        ["missed 1.0 @95", "alert 2 @94 obs=90"],
        "alerts keep working while trading is off"
    );
    b.set_trading(true);
    assert!(last(&mut b, btc, "96").is_empty());
    assert!(last(&mut b, btc, "90").is_empty(), "not fired late");
    assert_eq!(
        last(&mut b, btc, "120"),
        ["fired 3.0 buy 0.5 market @120 obs=120"],
        "untouched triggers stayed armed"
    );
}

#[test]
fn trading_off_misses_oco_and_drops_bracket_follow_ups() {
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
    b.arm(order(
        2,
        "BTC/USDT",
        OrderPlan::Oto {
            primary: leg(Buy, "0.5", stop("105")),
            then: FollowUp::Single(leg(Sell, "0.5", stop("100"))),
        },
    ))
    .unwrap();
    b.set_trading(false);
    assert_eq!(
        last(&mut b, btc, "111"),
        [
            "missed 2.0 @105",
            "cancelled 2.1 PrimaryMissed",
            "missed 1.0 @110",
            "cancelled 1.1 OcoSiblingMissed"
        ]
    );
    assert_eq!(b.armed_legs(), 0);
}

#[test]
fn trailing_stops_keep_following_while_trading_is_off() {
    let (mut b, btc, _) = books();
    b.arm(single(
        1,
        leg(Sell, "0.5", trailing(Trail::Amount(d("5")), None)),
    ))
    .unwrap();
    b.set_trading(false);
    assert!(last(&mut b, btc, "130").is_empty());
    b.set_trading(true);
    assert_eq!(
        last(&mut b, btc, "124"),
        ["fired 1.0 sell 0.5 market @125 obs=124 gapped"]
    );
}

#[test]
fn balance_alerts_fire_once_whatever_the_switch() {
    let (mut b, _, _) = books();
    let spec = |id, condition| BalanceAlertSpec {
        id: tid(id),
        owner: owner(),
        credential: cred(),
        asset: "usdt".into(),
        condition,
    };
    b.arm_balance_alert(spec(1, BalanceCondition::AtOrBelow(d("100"))))
        .unwrap();
    b.arm_balance_alert(spec(2, BalanceCondition::AtOrAbove(d("1000"))))
        .unwrap();
    b.set_trading(false);
    let mut out = Vec::new();
    b.on_balance(cred(), "USDT", d("500"), &mut out);
    assert!(out.is_empty());
    b.on_balance(cred(), "USDT", d("100"), &mut out);
    b.on_balance(cred(), "USDT", d("50"), &mut out);
    assert_eq!(summary(&out), ["balance 1 USDT 100"]);
    assert!(b.contains(tid(2)));
    b.cancel(tid(2)).unwrap();
    assert!(!b.contains(tid(2)));
}
