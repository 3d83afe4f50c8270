//! Emailed links (single use, looked up by digest, NULL user for sign-ups), known devices and
//! email changes, exercised against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tradeward_domain::UserId;
use tradeward_store::testing::{fresh_postgres, fresh_sqlite};
use tradeward_store::{EmailLinkRow, NewAccount, Store, StoreError};

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

async fn account(store: &Store, email: &str) -> UserId {
    store
        .create_account(&NewAccount {
            email: email.into(),
            role: "user".into(),
            password_hash: None,
            created_at_us: 5,
        })
        .await
        .unwrap()
}

fn link(hash: u8, user: Option<UserId>, purpose: &str, payload: Option<&str>) -> EmailLinkRow {
    EmailLinkRow {
        token_hash: vec![hash; 32],
        user_id: user,
        purpose: purpose.into(),
        payload: payload.map(str::to_owned),
        created_at_us: 10,
        expires_at_us: 100,
    }
}

on_both!(links_are_single_use, |store: Store| async move {
    let alice = account(&store, "alice@example.com").await;
    let l = link(1, Some(alice), "lockdown", None);
    store.insert_email_link(&l).await.unwrap();
    let signup = link(2, None, "signup", Some(r#"{"email":"n@example.com"}"#));
    store.insert_email_link(&signup).await.unwrap();
    assert_eq!(store.email_link(&[1; 32]).await.unwrap(), Some(l));
    assert_eq!(store.email_link(&[2; 32]).await.unwrap(), Some(signup));
    assert_eq!(store.email_link(&[3; 32]).await.unwrap(), None);
    // The same digest twice is a conflict, never an overwrite.
    assert!(matches!(
        store
            .insert_email_link(&link(1, Some(alice), "password_reset", None))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.take_email_link(&[1; 32]).await.unwrap());
    assert!(!store.take_email_link(&[1; 32]).await.unwrap());
    assert_eq!(store.email_link(&[1; 32]).await.unwrap(), None);

    store
        .insert_email_link(&link(4, Some(alice), "password_reset", None))
        .await
        .unwrap();
    store
        .insert_email_link(&link(5, Some(alice), "password_reset", None))
        .await
        .unwrap();
    store
        .insert_email_link(&link(6, Some(alice), "email_revert", Some("a@x")))
        .await
        .unwrap();
    assert_eq!(
        store
            .drop_email_links(alice, "password_reset")
            .await
            .unwrap(),
        2
    );
    assert!(store.email_link(&[6; 32]).await.unwrap().is_some());
    // Expired at 100: purged at 100, not before.
    assert_eq!(store.purge_expired_email_links(99).await.unwrap(), 0);
    assert_eq!(store.purge_expired_email_links(100).await.unwrap(), 2);
});

on_both!(devices_and_email_changes, |store: Store| async move {
    let alice = account(&store, "alice@example.com").await;
    let bob = account(&store, "bob@example.com").await;
    assert!(store.note_device(alice, &[7; 32], 1).await.unwrap());
    assert!(!store.note_device(alice, &[7; 32], 2).await.unwrap());
    // Devices are per user.
    assert!(store.note_device(bob, &[7; 32], 3).await.unwrap());

    assert!(store
        .set_user_email(alice, "Alice2@Example.com")
        .await
        .unwrap());
    assert_eq!(
        store.account(alice).await.unwrap().unwrap().email,
        "alice2@example.com"
    );
    assert!(store
        .account_by_email("alice@example.com")
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        store.set_user_email(bob, "alice2@example.com").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(!store
        .set_user_email(UserId::new(), "x@example.com")
        .await
        .unwrap());
});
