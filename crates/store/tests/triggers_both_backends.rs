//! Durable triggers on SQLite and PostgreSQL: insert, compare-and-set transitions, listing by
//! state, order decisions under the trading switches, forward-only order states.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tradeward_domain::CredentialId;
use tradeward_store::testing::{fresh_postgres, fresh_sqlite};
use tradeward_store::{
    DecisionOutcome, NewTrigger, NewTriggerOrder, NewUser, OrderState, OrderUpdate, Store,
    StoreError, TriggerDecision, TriggerState, TriggerTransition,
};
use uuid::Uuid;

/// Runs one scenario as two tests: `sqlite` and `postgres`.
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let store = fresh_sqlite(dir.path()).await.unwrap();
                ($body)(store).await;
            }
            #[tokio::test]
            async fn postgres() {
                let store = fresh_postgres()
                    .await
                    .expect("PostgreSQL must be reachable for the suite");
                ($body)(store).await;
            }
        }
    };
}

fn move_to<'a>(
    id: Uuid,
    from: TriggerState,
    to: TriggerState,
    coid: Option<&'a str>,
) -> TriggerTransition<'a> {
    TriggerTransition {
        id,
        from,
        to,
        client_order_id: coid,
        venue_order_id: None,
        now_us: 50,
    }
}

on_both!(insert_transition_list, |store: Store| async move {
    let owner = store
        .create_user(&NewUser {
            email: "t@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let credential = CredentialId::new();
    let new = |id: Uuid, at: i64| NewTrigger {
        id,
        owner_id: owner,
        credential_id: Some(credential),
        venue: "sim".into(),
        symbol: "BTC/USDT".into(),
        spec: format!("{{\"n\":{at}}}"),
        armed_state: Some("{}".into()),
        created_at_us: at,
    };
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    store.insert_trigger(&new(a, 10)).await.unwrap();
    store.insert_trigger(&new(b, 20)).await.unwrap();
    assert!(matches!(
        store.insert_trigger(&new(a, 30)).await,
        Err(StoreError::Conflict(_))
    ));

    let armed = store.triggers_in_state(TriggerState::Armed).await.unwrap();
    assert_eq!(armed.iter().map(|r| r.id).collect::<Vec<_>>(), vec![a, b]);
    assert_eq!(armed[0].owner_id, owner);
    assert_eq!(armed[0].credential_id, Some(credential));
    assert_eq!(armed[0].spec, "{\"n\":10}");
    assert_eq!(armed[0].client_order_id, None);

    // Compare-and-set: only the first of two writers moves it out of `armed`.
    let t = move_to(a, TriggerState::Armed, TriggerState::Firing, Some("twabc"));
    assert!(store.transition_trigger(&t).await.unwrap());
    assert!(!store.transition_trigger(&t).await.unwrap());
    let unknown = move_to(
        Uuid::now_v7(),
        TriggerState::Armed,
        TriggerState::Firing,
        None,
    );
    assert!(!store.transition_trigger(&unknown).await.unwrap());

    let row = store.trigger(a).await.unwrap().unwrap();
    assert_eq!(row.state, TriggerState::Firing);
    assert_eq!(row.client_order_id.as_deref(), Some("twabc"));
    assert_eq!(row.updated_at_us, 50);
    assert_eq!(row.created_at_us, 10);

    // None keeps the stored client order id; the venue order id is recorded.
    let mut fired = move_to(a, TriggerState::Firing, TriggerState::Fired, None);
    fired.venue_order_id = Some("42");
    assert!(store.transition_trigger(&fired).await.unwrap());
    let row = store.trigger(a).await.unwrap().unwrap();
    assert_eq!(row.state, TriggerState::Fired);
    assert_eq!(row.client_order_id.as_deref(), Some("twabc"));
    assert_eq!(row.venue_order_id.as_deref(), Some("42"));

    // A client order id names one order: a second trigger cannot take it.
    let clash = move_to(b, TriggerState::Armed, TriggerState::Firing, Some("twabc"));
    assert!(matches!(
        store.transition_trigger(&clash).await,
        Err(StoreError::Conflict(_))
    ));

    let armed = store.triggers_in_state(TriggerState::Armed).await.unwrap();
    assert_eq!(armed.iter().map(|r| r.id).collect::<Vec<_>>(), vec![b]);
    assert!(store
        .triggers_in_state(TriggerState::Firing)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.trigger(Uuid::now_v7()).await.unwrap(), None);
});

on_both!(decisions_orders_and_switches, |store: Store| async move {
    let owner = store
        .create_user(&NewUser {
            email: "d@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let credential = CredentialId::new();
    let new = |id: Uuid, at: i64| NewTrigger {
        id,
        owner_id: owner,
        credential_id: Some(credential),
        venue: "sim".into(),
        symbol: "BTC/USDT".into(),
        spec: "{}".into(),
        armed_state: Some("v1".into()),
        created_at_us: at,
    };
    let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    for (i, id) in ids.iter().enumerate() {
        store.insert_trigger(&new(*id, i as i64)).await.unwrap();
    }
    let coids = ["twa0", "twa1", "twb1", "twc0"];
    let order = |i: usize, leg: u8| NewTriggerOrder {
        client_order_id: coids[i],
        leg,
        credential_id: credential,
        symbol: "BTC/USDT",
        order_json: "{\"side\":\"sell\"}",
    };
    // One transaction: trigger 0 fires for good, trigger 1's bracket primary fires (it stays
    // armed with a new live state), trigger 2 is not armed (unknown id).
    let out = store
        .decide_triggers(
            &[
                TriggerDecision {
                    trigger_id: ids[0],
                    to: TriggerState::Firing,
                    armed_state: None,
                    order: Some(order(0, 0)),
                },
                TriggerDecision {
                    trigger_id: ids[1],
                    to: TriggerState::Armed,
                    armed_state: Some("v2"),
                    order: Some(order(1, 0)),
                },
                TriggerDecision {
                    trigger_id: Uuid::now_v7(),
                    to: TriggerState::Firing,
                    armed_state: None,
                    order: Some(order(3, 0)),
                },
            ],
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        [
            DecisionOutcome::Applied,
            DecisionOutcome::Applied,
            DecisionOutcome::NotArmed
        ]
    );
    let r0 = store.trigger(ids[0]).await.unwrap().unwrap();
    assert_eq!(r0.state, TriggerState::Firing);
    assert_eq!(r0.client_order_id.as_deref(), Some("twa0"));
    let r1 = store.trigger(ids[1]).await.unwrap().unwrap();
    assert_eq!(r1.state, TriggerState::Armed);
    assert_eq!(r1.armed_state.as_deref(), Some("v2"));
    assert_eq!(store.trigger_order("twc0").await.unwrap(), None);
    let o = store.trigger_order("twa0").await.unwrap().unwrap();
    assert_eq!(
        (o.trigger_id, o.leg, o.state),
        (ids[0], 0, OrderState::Decided)
    );
    assert_eq!(o.order_json, "{\"side\":\"sell\"}");

    // A leg decides once: the same leg again is refused and nothing is half-written.
    let again = store
        .decide_triggers(
            &[TriggerDecision {
                trigger_id: ids[1],
                to: TriggerState::Firing,
                armed_state: None,
                order: Some(NewTriggerOrder {
                    client_order_id: "twzz",
                    ..order(1, 0)
                }),
            }],
            101,
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(
        store.trigger(ids[1]).await.unwrap().unwrap().state,
        TriggerState::Armed
    );
    assert_eq!(store.trigger_order("twzz").await.unwrap(), None);

    // Owner's switch off: the order is not decided, the trigger is missed.
    assert!(store.set_user_trading(owner, false).await.unwrap());
    let out = store
        .decide_triggers(
            &[TriggerDecision {
                trigger_id: ids[2],
                to: TriggerState::Firing,
                armed_state: None,
                order: Some(order(2, 1)),
            }],
            102,
        )
        .await
        .unwrap();
    assert_eq!(out, [DecisionOutcome::TradingOff]);
    assert_eq!(
        store.trigger(ids[2]).await.unwrap().unwrap().state,
        TriggerState::Missed
    );
    assert_eq!(store.trigger_order("twb1").await.unwrap(), None);
    // Global switch off (owner back on): the same.
    store.set_user_trading(owner, true).await.unwrap();
    store.set_global_trading(false, 103).await.unwrap();
    let out = store
        .decide_triggers(
            &[TriggerDecision {
                trigger_id: ids[3],
                to: TriggerState::Firing,
                armed_state: None,
                order: Some(order(3, 0)),
            }],
            104,
        )
        .await
        .unwrap();
    assert_eq!(out, [DecisionOutcome::TradingOff]);
    assert_eq!(
        store.trigger(ids[3]).await.unwrap().unwrap().state,
        TriggerState::Missed
    );
    // A decision without an order (an alert firing) is not a trade: switches do not apply.
    store.set_global_trading(true, 105).await.unwrap();

    // Order states only move forward.
    let up = |state, venue: Option<&'static str>, qty: Option<&'static str>| OrderUpdate {
        client_order_id: "twa0",
        state,
        venue_order_id: venue,
        executed_qty: qty,
        now_us: 200,
    };
    assert!(store
        .update_trigger_order(&up(OrderState::New, Some("7"), None))
        .await
        .unwrap());
    assert!(store
        .update_trigger_order(&up(OrderState::PartiallyFilled, None, Some("0.1")))
        .await
        .unwrap());
    assert!(store
        .update_trigger_order(&up(OrderState::PartiallyFilled, None, Some("0.2")))
        .await
        .unwrap());
    assert!(!store
        .update_trigger_order(&up(OrderState::New, None, None))
        .await
        .unwrap());
    assert!(store
        .update_trigger_order(&up(OrderState::Filled, None, Some("0.5")))
        .await
        .unwrap());
    assert!(!store
        .update_trigger_order(&up(OrderState::Cancelled, None, None))
        .await
        .unwrap());
    let o = store.trigger_order("twa0").await.unwrap().unwrap();
    assert_eq!(o.state, OrderState::Filled);
    assert_eq!(o.venue_order_id.as_deref(), Some("7"));
    assert_eq!(o.executed_qty.as_deref(), Some("0.5"));
    let open = store
        .trigger_orders_in_states(&[OrderState::Decided, OrderState::New])
        .await
        .unwrap();
    assert_eq!(
        open.iter()
            .map(|o| o.client_order_id.as_str())
            .collect::<Vec<_>>(),
        ["twa1"]
    );
    assert_eq!(store.trigger_orders_of(ids[1]).await.unwrap().len(), 1);

    // Live state of an armed trigger (a trailing extreme) updates only while armed.
    assert!(store.update_armed_state(ids[1], "v3", 300).await.unwrap());
    assert!(!store.update_armed_state(ids[0], "v3", 300).await.unwrap());
    let mine = store.triggers_of_owner(owner, 10).await.unwrap();
    assert_eq!(mine.len(), 4);
    assert_eq!(mine[0].id, ids[3], "newest first");
});
