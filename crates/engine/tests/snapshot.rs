//! Snapshots as plain data: the JSON a persistence layer stores, restore errors, and the
//! restore-with-trading-off pattern for conditions met while the server was down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use tradeward_domain::Side::{Buy, Sell};
use tradeward_engine::*;

#[test]
fn snapshot_is_plain_json_with_the_spec_and_leg_states() {
    let (mut b, btc, _) = books();
    let mut spec = single(
        1,
        leg(Sell, "0.5", trailing(Trail::Percent(d("1.5")), None)),
    );
    spec.client_id = Some("my-ref".into());
    b.arm(spec).unwrap();
    last(&mut b, btc, "110");
    let json = serde_json::to_value(b.snapshot()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "triggers": [{
                "spec": {
                    "id": "00000000-0000-0000-0000-000000000001",
                    "owner": "00000000-0000-0000-0000-000000000007",
                    "market": {"venue": "sim", "symbol": "BTC/USDT"},
                    "client_id": "my-ref",
                    "body": {"order": {
                        "credential": "00000000-0000-0000-0000-000000000009",
                        "plan": {"single": {
                            "side": "sell",
                            "quantity": "0.5",
                            "source": "last",
                            "kind": {"trailing_stop": {
                                "trail": {"percent": "1.5"},
                                "activation": null
                            }}
                        }}
                    }}
                },
                "legs": [{"leg": 0, "seq": 0, "status": {"trailing": {"extreme": "110"}}}]
            }],
            "balance_alerts": []
        })
    );
}

#[test]
fn restore_refuses_unknown_markets_duplicates_and_mismatched_legs_arming_nothing() {
    let (mut b, _, _) = books();
    b.arm(single(1, leg(Buy, "0.5", stop("105")))).unwrap();
    b.arm(single(2, leg(Sell, "0.5", stop("95")))).unwrap();
    let snap = b.snapshot();

    let (mut fresh, _, _) = books();
    let mut dup = snap.clone();
    dup.triggers.push(dup.triggers[0].clone());
    assert_eq!(
        fresh.restore(dup).unwrap_err(),
        ArmError::DuplicateId(tid(1))
    );
    assert_eq!(fresh.armed_legs(), 0);

    let mut unknown = snap.clone();
    unknown.triggers[1].spec.market = key("DOGE/USDT");
    assert_eq!(
        fresh.restore(unknown).unwrap_err().to_string(),
        "unknown market sim DOGE/USDT"
    );
    assert_eq!(fresh.armed_legs(), 0);

    let mut wrong = snap.clone();
    wrong.triggers[1].legs[0].status = LegStatus::Trailing { extreme: d("100") };
    assert!(matches!(
        fresh.restore(wrong).unwrap_err(),
        ArmError::BadSnapshot { .. }
    ));
    assert_eq!(fresh.armed_legs(), 0);

    fresh.restore(snap).unwrap();
    assert_eq!(fresh.armed_legs(), 2);
}

#[test]
fn restored_with_trading_off_marks_downtime_crossings_missed() {
    let (mut b, _, _) = books();
    b.arm(single(1, leg(Sell, "0.5", stop("95")))).unwrap();
    b.arm(single(2, leg(Buy, "0.5", stop("120")))).unwrap();
    let snap = b.snapshot();

    let mut fresh = TriggerBooks::new();
    let btc = fresh
        .add_market(key("BTC/USDT"), rules("0.5", "0.001", "1"))
        .unwrap();
    fresh.set_trading(false);
    fresh.restore(snap).unwrap();
    // The price fell through 95 while the server was down.
    assert_eq!(last(&mut fresh, btc, "90"), ["missed 1.0 @95"]);
    fresh.set_trading(true);
    assert_eq!(
        last(&mut fresh, btc, "120"),
        ["fired 2.0 buy 0.5 market @120 obs=120"]
    );
}

#[test]
fn bracket_snapshot_after_entry_keeps_the_spent_primary_for_the_record() {
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
    last(&mut b, btc, "106");
    let snap = b.snapshot();
    let legs: Vec<u8> = snap.triggers[0].legs.iter().map(|l| l.leg).collect();
    assert_eq!(
        legs,
        [1, 2],
        "the primary fired: only the follow-ups are live"
    );

    let (mut fresh, btc2, _) = books();
    fresh.restore(snap).unwrap();
    assert_eq!(
        fresh.armed_legs(),
        3,
        "two live follow-ups and the spent primary"
    );
    assert_eq!(
        last(&mut fresh, btc2, "99"),
        [
            "fired 1.2 sell 0.5 market @100 obs=99 gapped",
            "cancelled 1.1 OcoSiblingFired"
        ]
    );
    assert_eq!(fresh.armed_legs(), 0);
    assert!(!fresh.contains(tid(1)));
}
