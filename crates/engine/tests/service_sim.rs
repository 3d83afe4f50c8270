//! The engine service end to end against the real simulator (over HTTP and WebSocket), on
//! SQLite and PostgreSQL: a stop-limit arrives at the sim exactly once; an OCO's other leg is
//! cancelled; a trailing stop follows the price up and fires on the way down, and keeps its
//! extreme across a restart; an order decided before a crash is sent once on restart, or not
//! at all when the venue already has it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_world;

use std::time::Duration;

use sim_world::{d, drain, leg, world, Db};
use tradeward_domain::Side;
use tradeward_engine::service::{client_order_id, Notice, Outcome};
use tradeward_engine::{LimitPrice, OrderKind, OrderPlan, Trail};
use tradeward_exchange::{OrderKind as VenueKind, OrderRequest};
use tradeward_store::{NewTriggerOrder, OrderState, TriggerDecision, TriggerState};

/// Runs one scenario as two tests: `sqlite` and `postgres`.
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(Db::Postgres).await;
            }
        }
    };
}

on_both!(stop_limit_reaches_the_sim_once, |db| async move {
    let w = world(db).await;
    let (engine, outcomes) = w.engine().await;
    assert!(outcomes.is_empty());
    w.prime(&engine, "50000").await;
    let mut notices = engine.notices();

    let spec = w.single(
        Side::Sell,
        "0.01",
        OrderKind::StopLimit {
            stop: d("49000"),
            limit: LimitPrice::Offset(d("10")),
        },
    );
    let id = spec.id;
    engine.arm(spec).await.unwrap();
    // Durable before acknowledged.
    let row = w.store.trigger(*id.as_uuid()).await.unwrap().unwrap();
    assert_eq!(row.state, TriggerState::Armed);
    assert!(row.armed_state.is_some());

    w.trade_seen(&engine, "49500").await;
    assert!(w.sim_orders().await.is_empty(), "not crossed yet");
    // The price gaps through the stop.
    w.trade("48800").await;
    let coid = client_order_id(id, 0);
    let orders = w.wait_orders(coid.as_str(), 1).await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["side"], "SELL");
    assert_eq!(orders[0]["type"], "LIMIT");
    assert_eq!(orders[0]["status"], 200);
    // More crossings change nothing.
    w.trade_seen(&engine, "50000").await;
    w.trade_seen(&engine, "48000").await;
    assert_eq!(w.settled(coid.as_str()).await.len(), 1);
    assert_eq!(w.sim_orders().await.len(), 1);

    let row = w.store.trigger(*id.as_uuid()).await.unwrap().unwrap();
    assert_eq!(row.state, TriggerState::Fired);
    let order = w.store.trigger_order(coid.as_str()).await.unwrap().unwrap();
    assert_ne!(order.state, OrderState::Decided, "the venue confirmed it");
    assert!(order.venue_order_id.is_some());
    assert!(
        order.order_json.contains("48990"),
        "limit = stop - offset: {}",
        order.order_json
    );
    let seen = drain(&mut notices);
    assert!(
        seen.iter()
            .any(|n| matches!(n, Notice::OrderPlaced { trigger, .. } if *trigger == id)),
        "{seen:?}"
    );
});

on_both!(oco_other_leg_is_cancelled, |db| async move {
    let w = world(db).await;
    let (engine, _) = w.engine().await;
    w.prime(&engine, "50000").await;
    let spec = w.spec(OrderPlan::Oco {
        first: leg(
            Side::Sell,
            "0.01",
            OrderKind::StopMarket { stop: d("47000") },
        ),
        second: leg(
            Side::Sell,
            "0.01",
            OrderKind::TakeProfitLimit {
                trigger: d("52000"),
                limit: LimitPrice::Price(d("52000")),
            },
        ),
    });
    let id = spec.id;
    engine.arm(spec).await.unwrap();
    w.trade("52500").await;
    let tp = client_order_id(id, 1);
    assert_eq!(w.wait_orders(tp.as_str(), 1).await.len(), 1);
    // The stop leg is gone: the price falls through it and nothing is sent.
    w.trade_seen(&engine, "46000").await;
    let stop = client_order_id(id, 0);
    assert!(w.settled(stop.as_str()).await.is_empty());
    assert_eq!(w.sim_orders().await.len(), 1);
    assert!(!engine.is_armed(id).await);
    let view = engine.trigger(w.owner, id).await.unwrap().unwrap();
    assert_eq!(view.row.state, TriggerState::Fired);
    assert_eq!(view.orders.len(), 1);
    assert_eq!(view.orders[0].leg, 1);
});

on_both!(trailing_stop_follows_up_and_fires_down, |db| async move {
    let w = world(db).await;
    let (engine, _) = w.engine().await;
    w.prime(&engine, "50000").await;
    let spec = w.single(
        Side::Sell,
        "0.01",
        OrderKind::TrailingStop {
            trail: Trail::Amount(d("500")),
            activation: None,
        },
    );
    let id = spec.id;
    engine.arm(spec).await.unwrap();
    let coid = client_order_id(id, 0);
    // Up: the stop follows (50000 -> 52000, stop at 51500).
    for p in ["51000", "52000", "51600"] {
        w.trade_seen(&engine, p).await;
    }
    assert!(
        w.sim_orders_for(coid.as_str()).await.is_empty(),
        "51600 is above 51500"
    );
    // Down through the trailed level: a market sell, once.
    w.trade("51400").await;
    let orders = w.wait_orders(coid.as_str(), 1).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["type"], "MARKET");
    w.trade_seen(&engine, "40000").await;
    assert_eq!(w.settled(coid.as_str()).await.len(), 1);
});

on_both!(trailing_extreme_survives_a_restart, |db| async move {
    let w = world(db).await;
    let (engine, _) = w.engine().await;
    w.prime(&engine, "50000").await;
    let spec = w.single(
        Side::Sell,
        "0.01",
        OrderKind::TrailingStop {
            trail: Trail::Amount(d("500")),
            activation: None,
        },
    );
    let id = spec.id;
    engine.arm(spec).await.unwrap();
    w.trade_seen(&engine, "53000").await;
    // Written behind the price: wait for the flush.
    let mut stored = String::new();
    for _ in 0..100 {
        stored = w
            .store
            .trigger(*id.as_uuid())
            .await
            .unwrap()
            .unwrap()
            .armed_state
            .unwrap();
        if stored.contains("53000") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stored.contains("53000"), "extreme persisted: {stored}");
    drop(engine);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let (engine, _) = w.engine().await;
    assert!(engine.is_armed(id).await, "restored");
    let coid = client_order_id(id, 0);
    // Restarted from its extreme (stop 52500): 52600 does not fire; 52400 does. Had it
    // restarted from the first price after the restart (52600), its stop would be 52100.
    w.trade_seen(&engine, "52600").await;
    assert!(w.sim_orders_for(coid.as_str()).await.is_empty());
    w.trade("52400").await;
    assert_eq!(w.wait_orders(coid.as_str(), 1).await.len(), 1);
});

on_both!(
    decided_before_a_crash_is_sent_once_on_restart,
    |db| async move {
        let w = world(db).await;
        let (engine, _) = w.engine().await;
        w.prime(&engine, "50000").await;
        let stop = |s: &str| OrderKind::StopMarket { stop: d(s) };
        let a = w.single(Side::Sell, "0.01", stop("40000"));
        let b = w.single(Side::Sell, "0.01", stop("41000"));
        let (ia, ib) = (a.id, b.id);
        engine.arm(a).await.unwrap();
        engine.arm(b).await.unwrap();
        drop(engine);

        // As if the engine had decided both and crashed: `a` before sending, `b` after the
        // venue took it but before the answer was recorded.
        let (ca, cb) = (client_order_id(ia, 0), client_order_id(ib, 0));
        let order_json = r#"{"side":"sell","quantity":"0.01","limit":null}"#;
        let decide = |id: tradeward_engine::TriggerId, coid: &'static str| TriggerDecision {
            trigger_id: *id.as_uuid(),
            to: TriggerState::Firing,
            armed_state: None,
            order: Some(NewTriggerOrder {
                client_order_id: coid,
                leg: 0,
                credential_id: w.credential,
                symbol: "BTC/USDT",
                order_json,
            }),
        };
        let ca_s: &'static str = Box::leak(ca.as_str().to_owned().into_boxed_str());
        let cb_s: &'static str = Box::leak(cb.as_str().to_owned().into_boxed_str());
        w.store
            .decide_triggers(&[decide(ia, ca_s), decide(ib, cb_s)], 1)
            .await
            .unwrap();
        let exec =
            tradeward_engine::service::Venues::execution(w.venues.as_ref(), w.owner, w.credential)
                .await
                .unwrap();
        exec.place_order(&OrderRequest {
            symbol: "BTC/USDT".parse().unwrap(),
            side: Side::Sell,
            kind: VenueKind::Market {
                quantity: d("0.01"),
            },
            client_order_id: cb.clone(),
        })
        .await
        .unwrap();

        let (engine, outcomes) = w.engine().await;
        assert_eq!(outcomes.len(), 2, "{outcomes:?}");
        assert!(outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Placed { id, .. } if *id == ia)));
        assert!(outcomes
            .iter()
            .any(|o| matches!(o, Outcome::AlreadyPlaced { id, .. } if *id == ib)));
        assert_eq!(w.settled(ca.as_str()).await.len(), 1, "sent once");
        assert_eq!(w.settled(cb.as_str()).await.len(), 1, "not sent again");
        for id in [ia, ib] {
            let row = w.store.trigger(*id.as_uuid()).await.unwrap().unwrap();
            assert_eq!(row.state, TriggerState::Fired);
            assert!(!engine.is_armed(id).await);
        }
        // A second restart finds nothing to do.
        drop(engine);
        let (_engine, outcomes) = w.engine().await;
        assert!(outcomes.is_empty(), "{outcomes:?}");
        assert_eq!(w.sim_orders().await.len(), 2);
    }
);

on_both!(bracket_follow_up_survives_a_restart, |db| async move {
    let w = world(db).await;
    let (engine, _) = w.engine().await;
    w.prime(&engine, "50000").await;
    // Entry: buy when the price rises to 51000; then take profit at 53000 or stop at 50000.
    let spec = w.spec(OrderPlan::Oto {
        primary: leg(
            Side::Buy,
            "0.01",
            OrderKind::StopMarket { stop: d("51000") },
        ),
        then: tradeward_engine::FollowUp::Oco {
            first: leg(
                Side::Sell,
                "0.01",
                OrderKind::TakeProfitLimit {
                    trigger: d("53000"),
                    limit: LimitPrice::Price(d("53000")),
                },
            ),
            second: leg(
                Side::Sell,
                "0.01",
                OrderKind::StopMarket { stop: d("50000") },
            ),
        },
    });
    let id = spec.id;
    engine.arm(spec).await.unwrap();
    w.trade("51500").await;
    let entry = client_order_id(id, 0);
    assert_eq!(w.wait_orders(entry.as_str(), 1).await.len(), 1);
    let row = w.store.trigger(*id.as_uuid()).await.unwrap().unwrap();
    assert_eq!(row.state, TriggerState::Armed, "its follow-ups are armed");
    drop(engine);
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Restarted with the follow-ups armed and the entry not armed again.
    let (engine, _) = w.engine().await;
    assert!(engine.is_armed(id).await);
    w.trade("53500").await;
    let tp = client_order_id(id, 1);
    assert_eq!(w.wait_orders(tp.as_str(), 1).await.len(), 1);
    w.trade_seen(&engine, "49000").await;
    assert!(w.settled(client_order_id(id, 2).as_str()).await.is_empty());
    assert_eq!(w.settled(entry.as_str()).await.len(), 1);
    assert_eq!(w.sim_orders().await.len(), 2);
    let row = w.store.trigger(*id.as_uuid()).await.unwrap().unwrap();
    assert_eq!(row.state, TriggerState::Fired);
});
