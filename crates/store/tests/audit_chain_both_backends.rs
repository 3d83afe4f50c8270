//! The audit chain at the storage layer, on SQLite and PostgreSQL: appends are chained,
//! concurrent writers never fork the chain, legacy rows get chained, and the database refuses
//! updates and deletes of chained rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::{AnyPool, Executor};
use tradeward_store::testing::{fresh_postgres_url, fresh_sqlite};
use tradeward_store::{audit_chain_next, audit_leaf_hash, AuditRow, Store, AUDIT_GENESIS};

fn row(i: usize) -> AuditRow {
    AuditRow {
        at_us: i as i64,
        kind: "signer.sign".into(),
        component: "signer".into(),
        outcome: "ok".into(),
        user_id: Some(format!("u{i}")),
        session_id: None,
        credential_id: None,
        source_addr: None,
        reason: None,
        detail: "{}".into(),
    }
}

/// Recomputes the chain from the stored rows; panics at the first entry that is off.
async fn assert_chain_intact(store: &Store, expect: usize) {
    let rows = store.audit_chain_page(0, 100_000).await.unwrap();
    assert_eq!(rows.len(), expect);
    let mut head = AUDIT_GENESIS;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.seq, i as i64 + 1, "seq gap");
        assert_eq!(r.prev_hash.as_deref(), Some(&head[..]), "entry {}", r.seq);
        head = audit_chain_next(&head, &audit_leaf_hash(r.seq, &r.row));
        assert_eq!(r.chain_hash.as_deref(), Some(&head[..]), "entry {}", r.seq);
    }
}

macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let _ = fresh_sqlite(dir.path()).await.unwrap();
                let url = format!("sqlite://{}", dir.path().join("tradeward.db").display());
                ($body)(url).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let url = fresh_postgres_url()
                    .await
                    .expect("PostgreSQL must be reachable for the suite");
                ($body)(url).await;
            }
        }
    };
}

on_both!(
    appends_are_chained_and_return_the_head,
    |url: String| async move {
        let store = Store::open(&url).await.unwrap();
        let (seq, head) = store.append_audit(&[row(1), row(2)]).await.unwrap();
        assert_eq!(seq, 2);
        let (seq, head2) = store.append_audit(&[row(3)]).await.unwrap();
        assert_eq!(seq, 3);
        assert_eq!(head2, audit_chain_next(&head, &audit_leaf_hash(3, &row(3))));
        assert_eq!(store.audit_extent().await.unwrap(), (3, 3));
        assert_chain_intact(&store, 3).await;
    }
);

on_both!(
    concurrent_writers_never_fork_the_chain,
    |url: String| async move {
        // Two independent pools (as two processes would have) append at once.
        let a = Store::open(&url).await.unwrap();
        let b = Store::open(&url).await.unwrap();
        let write = |store: Store, base: usize| {
            tokio::spawn(async move {
                for i in 0..40 {
                    store
                        .append_audit(&[row(base + i), row(base + i + 1000)])
                        .await
                        .unwrap();
                }
            })
        };
        let (x, y) = (write(a.clone(), 0), write(b.clone(), 10_000));
        x.await.unwrap();
        y.await.unwrap();
        assert_chain_intact(&a, 160).await;
    }
);

on_both!(
    rows_written_before_the_chain_get_chained,
    |url: String| async move {
        let store = Store::open(&url).await.unwrap();
        sqlx::any::install_default_drivers();
        let raw = AnyPool::connect(&url).await.unwrap();
        // Rows as the pre-chain schema wrote them: no hashes.
        for i in 1..=3 {
            raw.execute(
                format!(
                "INSERT INTO audit_events (seq, at_us, kind, component, outcome, user_id, detail) \
                 VALUES ({i}, {i}, 'signer.sign', 'signer', 'ok', 'u{i}', '{{}}')"
            )
                .as_str(),
            )
            .await
            .unwrap();
        }
        store.append_audit(&[row(4)]).await.unwrap();
        assert_chain_intact(&store, 4).await;
    }
);

on_both!(
    chained_rows_cannot_be_updated_or_deleted,
    |url: String| async move {
        let store = Store::open(&url).await.unwrap();
        store.append_audit(&[row(1), row(2)]).await.unwrap();
        sqlx::any::install_default_drivers();
        let raw = AnyPool::connect(&url).await.unwrap();
        let update = raw
            .execute("UPDATE audit_events SET reason = 'x' WHERE seq = 1")
            .await
            .unwrap_err();
        assert!(update.to_string().contains("append-only"), "{update}");
        let delete = raw
            .execute("DELETE FROM audit_events WHERE seq = 2")
            .await
            .unwrap_err();
        assert!(delete.to_string().contains("append-only"), "{delete}");
        assert_chain_intact(&store, 2).await;
    }
);
