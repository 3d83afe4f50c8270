//! Every store operation, exercised against SQLite and PostgreSQL alike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use tradeward_domain::{CredentialId, UserId};
use tradeward_store::testing::{fresh_postgres, fresh_sqlite};
use tradeward_store::{
    AuditFilter, AuditRow, DailyNotionalOutcome, NewCredential, NewUser, SealedRow, Store,
    StoreError,
};

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

async fn user(store: &Store, email: &str) -> UserId {
    store
        .create_user(&NewUser {
            email: email.into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap()
}

fn sealed(record: &str, owner: &str, field: &str, version: i64) -> SealedRow {
    SealedRow {
        record_id: record.into(),
        field: field.into(),
        owner_id: owner.into(),
        venue: "sim".into(),
        ciphertext: vec![1, 2, 3, field.len() as u8],
        nonce: vec![9; 12],
        wrapped_dek: vec![7; 60],
        kek_version: version,
    }
}

fn credential(owner: UserId, id: CredentialId, secrets: Vec<SealedRow>) -> NewCredential {
    NewCredential {
        id,
        owner_id: owner,
        venue: "sim".into(),
        label: "main".into(),
        scheme: "binance_hmac".into(),
        api_key_masked: "abcd…wxyz".into(),
        permissions: "{}".into(),
        allowed_symbols: Some(vec!["BTC/USDT".into(), "ETH/USDT".into()]),
        max_order_notional: Some(Decimal::new(100_000, 2)),
        max_daily_notional: None,
        created_at_us: 42,
        secrets,
    }
}

on_both!(users_and_trading_switches, |store: Store| async move {
    let alice = user(&store, "Alice@Example.com").await;
    let row = store.user(alice).await.unwrap().unwrap();
    assert_eq!(row.email, "alice@example.com");
    assert!(row.trading_enabled);
    let dup = store
        .create_user(&NewUser {
            email: "alice@example.com".into(),
            role: "user".into(),
            created_at_us: 2,
        })
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict("user")), "{dup:?}");

    assert!(store.set_user_trading(alice, false).await.unwrap());
    assert!(!store.user(alice).await.unwrap().unwrap().trading_enabled);
    assert!(!store.set_user_trading(UserId::new(), false).await.unwrap());
    user(&store, "bob@example.com").await;
    assert_eq!(store.set_all_users_trading(false).await.unwrap(), 1);

    assert!(store.global_trading_enabled().await.unwrap());
    store.set_global_trading(false, 10).await.unwrap();
    assert!(!store.global_trading_enabled().await.unwrap());
    store.set_global_trading(true, 11).await.unwrap();
    assert!(store.global_trading_enabled().await.unwrap());
});

on_both!(
    credentials_are_written_whole_or_not_at_all,
    |store: Store| async move {
        let alice = user(&store, "alice@example.com").await;
        let id = CredentialId::new();
        let rid = id.to_string();
        let owner = alice.to_string();
        store
            .insert_credential(&credential(
                alice,
                id,
                vec![
                    sealed(&rid, &owner, "api_key", 1),
                    sealed(&rid, &owner, "secret", 1),
                ],
            ))
            .await
            .unwrap();
        let row = store.credential(id).await.unwrap().unwrap();
        assert_eq!(
            row.allowed_symbols.as_deref(),
            Some(&["BTC/USDT".to_owned(), "ETH/USDT".to_owned()][..])
        );
        assert_eq!(row.max_order_notional, Some(Decimal::new(100_000, 2)));
        assert_eq!(store.sealed_secrets(&rid).await.unwrap().len(), 2);

        // A second credential whose secrets collide with the first's primary key: the whole
        // insert fails and no credential row is left behind.
        let id2 = CredentialId::new();
        let bad = credential(
            alice,
            id2,
            vec![
                sealed(&id2.to_string(), &owner, "secret", 1),
                sealed(&rid, &owner, "secret", 1),
            ],
        );
        assert!(store.insert_credential(&bad).await.is_err());
        assert!(store.credential(id2).await.unwrap().is_none());
        assert!(store
            .sealed_secrets(&id2.to_string())
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.credentials_of(alice).await.unwrap().len(), 1);

        // Only the owner deletes, and secrets go with the credential.
        let bob = user(&store, "bob@example.com").await;
        assert!(!store.delete_credential(bob, id).await.unwrap());
        assert!(store.delete_credential(alice, id).await.unwrap());
        assert!(store.sealed_secrets(&rid).await.unwrap().is_empty());
    }
);

on_both!(
    rotation_walk_is_compare_and_set,
    |store: Store| async move {
        let rows = vec![
            sealed("r1", "u", "secret", 1),
            sealed("r2", "u", "secret", 1),
            sealed("r3", "u", "secret", 2),
        ];
        store.insert_sealed_secrets(&rows).await.unwrap();
        assert_eq!(
            store.sealed_secret_counts().await.unwrap(),
            vec![(1, 2), (2, 1)]
        );
        let batch = store.sealed_secrets_not_at_version(2, 10).await.unwrap();
        assert_eq!(
            batch
                .iter()
                .map(|r| r.record_id.as_str())
                .collect::<Vec<_>>(),
            ["r1", "r2"]
        );
        assert!(store
            .rewrap_sealed_secret(&batch[0], &[8; 60], 2)
            .await
            .unwrap());
        // Replaying the same step (a resumed rotation) changes nothing.
        assert!(!store
            .rewrap_sealed_secret(&batch[0], &[6; 60], 2)
            .await
            .unwrap());
        assert_eq!(
            store.sealed_secrets("r1").await.unwrap()[0].wrapped_dek,
            vec![8; 60]
        );
        assert_eq!(
            store
                .sealed_secrets_not_at_version(2, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    }
);

on_both!(
    daily_notional_never_exceeds_its_limit,
    |store: Store| async move {
        let id = CredentialId::new();
        let limit = Decimal::new(1000, 0);
        let add = |amount: i64| {
            store.add_daily_notional(id, "2026-11-29", Decimal::new(amount, 0), limit)
        };
        assert_eq!(
            add(600).await.unwrap(),
            DailyNotionalOutcome::Added(Decimal::new(600, 0))
        );
        assert_eq!(
            add(500).await.unwrap(),
            DailyNotionalOutcome::WouldExceed(Decimal::new(600, 0))
        );
        assert_eq!(
            add(400).await.unwrap(),
            DailyNotionalOutcome::Added(Decimal::new(1000, 0))
        );
        // Another day starts from zero.
        let other = store
            .add_daily_notional(id, "2026-11-30", Decimal::new(1000, 0), limit)
            .await
            .unwrap();
        assert_eq!(other, DailyNotionalOutcome::Added(Decimal::new(1000, 0)));
    }
);

on_both!(audit_rows_append_in_order, |store: Store| async move {
    let row = |kind: &str, user: Option<&str>| AuditRow {
        at_us: 5,
        kind: kind.into(),
        component: "signer".into(),
        outcome: "ok".into(),
        user_id: user.map(str::to_owned),
        session_id: None,
        credential_id: None,
        source_addr: Some("127.0.0.1".into()),
        reason: None,
        detail: "{}".into(),
    };
    store
        .append_audit(&[
            row("signer.sign", Some("u1")),
            row("signer.refuse", Some("u2")),
        ])
        .await
        .unwrap();
    store
        .append_audit(&[row("signer.sign", None)])
        .await
        .unwrap();
    let all = store.audit_events(&AuditFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let u2 = store
        .audit_events(&AuditFilter {
            user_id: Some("u2".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(u2.len(), 1);
    assert_eq!(u2[0].row.kind, "signer.refuse");
    let after = store
        .audit_events(&AuditFilter {
            after_seq: Some(all[1].seq),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(after.len(), 1);
});

#[tokio::test]
async fn a_bad_url_is_named() {
    let err = Store::open("mysql://x").await.unwrap_err();
    assert!(
        err.to_string().contains("unsupported database URL"),
        "{err}"
    );
}
