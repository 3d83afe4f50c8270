//! Durable triggers on SQLite and PostgreSQL: insert, compare-and-set transitions, listing by
//! state.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tradeward_domain::CredentialId;
use tradeward_store::testing::{fresh_postgres, fresh_sqlite};
use tradeward_store::{NewTrigger, NewUser, Store, StoreError, TriggerState, TriggerTransition};
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
