//! The trading switches end to end (real sim, SQLite and PostgreSQL): switched off, a crossing
//! produces no order and no trade notification, and the trigger is reported missed; switched
//! back on, it does not fire. Price alerts keep working while trading is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_world;

use std::time::Duration;

use sim_world::{btc, d, drain, world, Db, World};
use tradeward_domain::Side;
use tradeward_engine::service::{EngineService, Notice};
use tradeward_engine::{
    AlertCondition, OrderKind, PriceAlert, PriceSource, TriggerBody, TriggerId, TriggerSpec,
};
use tradeward_store::TriggerState;
use uuid::Uuid;

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

/// Which switch a scenario flips.
#[derive(Clone, Copy)]
enum Switch {
    Global,
    User,
}

async fn flip(w: &World, switch: Switch, on: bool) {
    match switch {
        Switch::Global => w.store.set_global_trading(on, 1).await.unwrap(),
        Switch::User => assert!(w.store.set_user_trading(w.owner, on).await.unwrap()),
    }
    // The engine polls the deployment's switch every 50 ms in tests; the owner's is read
    // in the decision transaction itself.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

async fn missed_not_fired(db: Db, switch: Switch) {
    let w = world(db).await;
    let (engine, _) = w.engine().await;
    w.prime(&engine, "50000").await;
    let mut notices = engine.notices();
    let stop = w.single(
        Side::Sell,
        "0.01",
        OrderKind::StopMarket { stop: d("49000") },
    );
    let id = stop.id;
    engine.arm(stop).await.unwrap();
    let alert = TriggerSpec {
        id: TriggerId::from_uuid(Uuid::now_v7()),
        owner: w.owner,
        market: btc(),
        client_id: Some("dip".into()),
        body: TriggerBody::PriceAlert(PriceAlert {
            source: PriceSource::Last,
            condition: AlertCondition::Below(d("48500")),
        }),
    };
    let alert_id = alert.id;
    engine.arm(alert).await.unwrap();

    flip(&w, switch, false).await;
    w.trade_seen(&engine, "48000").await;
    assert_state(&engine, &w, id, TriggerState::Missed).await;
    assert!(w.settled("").await.is_empty());
    assert!(w.sim_orders().await.is_empty(), "no order left while off");
    let seen = drain(&mut notices);
    assert!(
        !seen.iter().any(Notice::is_trade),
        "no trade notification: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|n| matches!(n, Notice::Missed { trigger, .. } if *trigger == id)),
        "reported missed: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|n| matches!(n, Notice::Alert { trigger, .. } if *trigger == alert_id)),
        "alerts keep working: {seen:?}"
    );
    assert!(!engine.is_armed(id).await);

    // Back on: the crossing is history; the trigger is not fired late, nor on a new crossing.
    flip(&w, switch, true).await;
    w.trade_seen(&engine, "50000").await;
    w.trade_seen(&engine, "47000").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(w.sim_orders().await.is_empty());
    let seen = drain(&mut notices);
    assert!(!seen.iter().any(Notice::is_trade), "{seen:?}");
    let view = engine.trigger(w.owner, id).await.unwrap().unwrap();
    assert_eq!(view.row.state, TriggerState::Missed);
    assert!(view.orders.is_empty());

    // Trading works again for new triggers.
    let again = w.single(
        Side::Sell,
        "0.01",
        OrderKind::StopMarket { stop: d("46000") },
    );
    let again_id = again.id;
    engine.arm(again).await.unwrap();
    w.trade("45000").await;
    let coid = tradeward_engine::service::client_order_id(again_id, 0);
    assert_eq!(w.wait_orders(coid.as_str(), 1).await.len(), 1);
}

async fn assert_state(engine: &EngineService, w: &World, id: TriggerId, want: TriggerState) {
    for _ in 0..100 {
        let row = engine.trigger(w.owner, id).await.unwrap().unwrap().row;
        if row.state == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("trigger never reached {want:?}");
}

on_both!(global_switch, |db| missed_not_fired(db, Switch::Global));
on_both!(user_switch, |db| missed_not_fired(db, Switch::User));
