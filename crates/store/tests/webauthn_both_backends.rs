//! WebAuthn credential and ceremony storage on SQLite and PostgreSQL: a credential id belongs to
//! one account, the signature counter moves only by compare-and-set, a ceremony is taken once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tradeward_domain::UserId;
use tradeward_store::testing::{fresh_postgres, fresh_sqlite};
use tradeward_store::{NewAccount, Store, StoreError, WebauthnCredentialRow};

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

fn credential(id: &str, user: UserId, cred: &[u8]) -> WebauthnCredentialRow {
    WebauthnCredentialRow {
        id: id.into(),
        user_id: user,
        credential_id: cred.to_vec(),
        name: "key".into(),
        passkey: "{}".into(),
        sign_count: 0,
        created_at_us: 10,
        last_used_at_us: None,
    }
}

on_both!(credentials_and_counters, |store: Store| async move {
    let alice = account(&store, "alice@example.com").await;
    let bob = account(&store, "bob@example.com").await;
    assert!(!store.has_webauthn_credential(alice).await.unwrap());
    store
        .insert_webauthn_credential(&credential("c1", alice, &[1, 2, 3, 0, 255]))
        .await
        .unwrap();
    assert!(store.has_webauthn_credential(alice).await.unwrap());
    // The same authenticator credential cannot be registered to anyone else.
    let dup = store
        .insert_webauthn_credential(&credential("c2", bob, &[1, 2, 3, 0, 255]))
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    assert!(store.webauthn_credentials(bob).await.unwrap().is_empty());

    // The counter moves only from the value the caller read.
    assert!(store
        .record_webauthn_use("c1", 0, 4, "{\"n\":4}", 20)
        .await
        .unwrap());
    assert!(!store
        .record_webauthn_use("c1", 0, 5, "{\"n\":5}", 21)
        .await
        .unwrap());
    let rows = store.webauthn_credentials(alice).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].credential_id, vec![1, 2, 3, 0, 255]);
    assert_eq!(rows[0].sign_count, 4);
    assert_eq!(rows[0].passkey, "{\"n\":4}");
    assert_eq!(rows[0].last_used_at_us, Some(20));

    // Removal only by the owner.
    assert!(!store.delete_webauthn_credential(bob, "c1").await.unwrap());
    assert!(store.delete_webauthn_credential(alice, "c1").await.unwrap());
    assert!(!store.has_webauthn_credential(alice).await.unwrap());
});

on_both!(ceremonies_are_taken_once, |store: Store| async move {
    let alice = account(&store, "alice@example.com").await;
    store
        .put_webauthn_ceremony("login:x", alice, "{\"a\":1}", 50, 100)
        .await
        .unwrap();
    // A new begin under the same key replaces the old state.
    store
        .put_webauthn_ceremony("login:x", alice, "{\"a\":2}", 60, 200)
        .await
        .unwrap();
    let taken = store
        .take_webauthn_ceremony("login:x")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.user_id, alice);
    assert_eq!(taken.state, "{\"a\":2}");
    assert_eq!(taken.expires_at_us, 200);
    assert!(store
        .take_webauthn_ceremony("login:x")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .take_webauthn_ceremony("never")
        .await
        .unwrap()
        .is_none());
    // An abandoned ceremony is dropped by the user's next begin once it has expired.
    store
        .put_webauthn_ceremony("register:old", alice, "{}", 300, 400)
        .await
        .unwrap();
    store
        .put_webauthn_ceremony("register:new", alice, "{}", 400, 700)
        .await
        .unwrap();
    assert!(store
        .take_webauthn_ceremony("register:old")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .take_webauthn_ceremony("register:new")
        .await
        .unwrap()
        .is_some());
});
