//! Plays the attacker of threat S8 against SQLite and PostgreSQL: edits, deletes, reorders and
//! inserts audit rows with raw SQL (after dropping the append-only triggers, as someone with
//! database write access would), and checks that `verify` names the right entry; truncates the
//! log and its database checkpoints and checks the external checkpoint file catches it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use sqlx::{AnyPool, Executor};
use tradeward_audit::{
    verify_store, CheckpointSigner, Checkpointer, Finding, FindingKind, VerifyError, VerifyOptions,
};
use tradeward_store::testing::{fresh_postgres_url, fresh_sqlite};
use tradeward_store::{audit_chain_next, audit_leaf_hash, AuditRow, Backend, Store, AUDIT_GENESIS};

const SEED: [u8; 32] = [7; 32];

struct Fixture {
    store: Store,
    raw: AnyPool,
    file: PathBuf,
    _dir: tempfile::TempDir,
}

fn event(i: usize) -> AuditRow {
    AuditRow {
        at_us: 1_000 + i as i64,
        kind: "signer.sign".into(),
        component: "signer".into(),
        outcome: "ok".into(),
        user_id: Some(format!("u{}", i % 3)),
        session_id: None,
        credential_id: Some("c1".into()),
        source_addr: Some("127.0.0.1".into()),
        reason: None,
        detail: format!("{{\"n\":{i}}}"),
    }
}

/// 20 entries, with checkpoints at 8 and 16 in the database and the external file.
async fn fixture(postgres: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = if postgres {
        let url = fresh_postgres_url()
            .await
            .expect("PostgreSQL must be reachable for the suite");
        (Store::open(&url).await.unwrap(), url)
    } else {
        let store = fresh_sqlite(dir.path()).await.unwrap();
        let url = format!("sqlite://{}", dir.path().join("tradeward.db").display());
        (store, url)
    };
    let file = dir.path().join("checkpoints.jsonl");
    let mut cp = Checkpointer::open(
        store.clone(),
        CheckpointSigner::from_seed(&SEED),
        Some(file.clone()),
    )
    .await
    .unwrap();
    let rows: Vec<AuditRow> = (1..=20).map(event).collect();
    store.append_audit(&rows[..8]).await.unwrap();
    assert_eq!(
        cp.checkpoint(10)
            .await
            .unwrap()
            .unwrap()
            .checkpoint
            .tree_size,
        8
    );
    store.append_audit(&rows[8..16]).await.unwrap();
    assert_eq!(
        cp.checkpoint(20)
            .await
            .unwrap()
            .unwrap()
            .checkpoint
            .tree_size,
        16
    );
    store.append_audit(&rows[16..]).await.unwrap();
    sqlx::any::install_default_drivers();
    let raw = AnyPool::connect(&url).await.unwrap();
    // The attacker's first move: lift the append-only guard.
    let drop_guard: &[&str] = match store.backend() {
        Backend::Sqlite => &[
            "DROP TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_delete",
        ],
        Backend::Postgres => &[
            "DROP TRIGGER audit_events_no_update ON audit_events",
            "DROP TRIGGER audit_events_no_delete ON audit_events",
        ],
    };
    for sql in drop_guard {
        raw.execute(*sql).await.unwrap();
    }
    Fixture {
        store,
        raw,
        file,
        _dir: dir,
    }
}

impl Fixture {
    fn options(&self) -> VerifyOptions {
        VerifyOptions {
            trusted_key: Some(CheckpointSigner::from_seed(&SEED).public_key()),
            checkpoint_file: Some(self.file.clone()),
            page_size: Some(6),
        }
    }

    async fn sql(&self, sql: &str) {
        self.raw.execute(sql).await.unwrap();
    }

    async fn finding(&self, options: &VerifyOptions) -> Finding {
        match verify_store(&self.store, options, |_, _| {}).await {
            Err(VerifyError::Tampered(f)) => f,
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// Rewrites every hash from `from` on, as a careful attacker would after an edit.
    async fn rechain(&self, from: i64) {
        let rows = self.store.audit_chain_page(0, 1000).await.unwrap();
        let mut head = AUDIT_GENESIS;
        for r in rows {
            let next = audit_chain_next(&head, &audit_leaf_hash(r.seq, &r.row));
            if r.seq >= from {
                sqlx::query(
                    "UPDATE audit_events SET prev_hash = $1, chain_hash = $2 WHERE seq = $3",
                )
                .bind(head.to_vec())
                .bind(next.to_vec())
                .bind(r.seq)
                .execute(&self.raw)
                .await
                .unwrap();
            }
            head = next;
        }
    }
}

/// Runs one scenario as two tests: `sqlite` and `postgres`.
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                ($body)(fixture(false).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                ($body)(fixture(true).await).await;
            }
        }
    };
}

on_both!(an_untouched_log_verifies, |f: Fixture| async move {
    let report = verify_store(&f.store, &f.options(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(report.entries, 20);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.external_checkpoints, 2);
    assert_eq!(report.last_checkpoint_size, 16);
});

on_both!(an_edited_row_is_named, |f: Fixture| async move {
    f.sql("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 18")
        .await;
    let found = f.finding(&f.options()).await;
    assert_eq!(
        (found.kind, found.seq),
        (FindingKind::EntryEdited, Some(18)),
        "{found}"
    );
    assert!(found.message.contains("entry 18"), "{found}");
});

on_both!(
    an_edit_inside_a_checkpoint_is_named,
    |f: Fixture| async move {
        f.sql("UPDATE audit_events SET user_id = 'someone-else' WHERE seq = 5")
            .await;
        let found = f.finding(&f.options()).await;
        assert_eq!(
            (found.kind, found.seq),
            (FindingKind::EntryEdited, Some(5)),
            "{found}"
        );
    }
);

on_both!(a_deleted_row_is_named, |f: Fixture| async move {
    f.sql("DELETE FROM audit_events WHERE seq = 7").await;
    let found = f.finding(&f.options()).await;
    assert_eq!(
        (found.kind, found.seq),
        (FindingKind::EntryMissing, Some(7)),
        "{found}"
    );
    assert!(found.message.contains("entry 7 is missing"), "{found}");
});

on_both!(reordered_rows_are_named, |f: Fixture| async move {
    // Swap entries 10 and 11 wholesale (hashes too), keeping the seq numbers in place.
    f.sql("UPDATE audit_events SET seq = -10 WHERE seq = 10")
        .await;
    f.sql("UPDATE audit_events SET seq = 10 WHERE seq = 11")
        .await;
    f.sql("UPDATE audit_events SET seq = 11 WHERE seq = -10")
        .await;
    let found = f.finding(&f.options()).await;
    assert_eq!(
        (found.kind, found.seq),
        (FindingKind::ChainBroken, Some(10)),
        "{found}"
    );
});

on_both!(an_inserted_row_is_named, |f: Fixture| async move {
    // Make room after entry 12 and slip a forged row in, borrowing the last row's hash (the
    // unique prev_hash refuses a second row after entry 12 itself).
    f.sql("UPDATE audit_events SET seq = -seq WHERE seq >= 13")
        .await;
    f.sql("UPDATE audit_events SET seq = 1 - seq WHERE seq < 0")
        .await;
    f.sql(
        "INSERT INTO audit_events (seq, at_us, kind, component, outcome, detail, prev_hash, chain_hash) \
         SELECT 13, at_us, 'admin.grant', 'web', 'ok', '{}', chain_hash, chain_hash \
         FROM audit_events WHERE seq = 21",
    )
    .await;
    let found = f.finding(&f.options()).await;
    assert_eq!(
        (found.kind, found.seq),
        (FindingKind::ChainBroken, Some(13)),
        "{found}"
    );
    // A second row right after entry 12 is refused by the database itself.
    let fork = f
        .raw
        .execute(
            "INSERT INTO audit_events (seq, at_us, kind, component, outcome, detail, prev_hash, chain_hash) \
             SELECT 99, at_us, 'x', 'web', 'ok', '{}', chain_hash, chain_hash \
             FROM audit_events WHERE seq = 12",
        )
        .await;
    assert!(fork.is_err(), "a second successor of entry 12 was accepted");
});

on_both!(
    an_appended_row_without_hashes_is_named,
    |f: Fixture| async move {
        f.sql(
            "INSERT INTO audit_events (seq, at_us, kind, component, outcome, detail) \
         VALUES (21, 5, 'admin.grant', 'web', 'ok', '{}')",
        )
        .await;
        let found = f.finding(&f.options()).await;
        assert_eq!(
            (found.kind, found.seq),
            (FindingKind::Unchained, Some(21)),
            "{found}"
        );
    }
);

on_both!(
    a_rechained_rewrite_is_caught_by_the_checkpoint,
    |f: Fixture| async move {
        // A careful attacker edits entry 5 and recomputes every hash after it: the chain is
        // consistent again, but the signed root at tree size 8 no longer matches.
        f.sql("UPDATE audit_events SET outcome = 'refused' WHERE seq = 5")
            .await;
        f.rechain(5).await;
        let found = f.finding(&f.options()).await;
        assert_eq!(found.kind, FindingKind::CheckpointMismatch, "{found}");
        assert_eq!(found.seq, Some(1), "{found}");
        assert!(found.message.contains("entries 1..=8"), "{found}");
        // An edit after the first checkpoint is narrowed to the range after it.
        let f2 = fixture(f.store.backend() == Backend::Postgres).await;
        f2.sql("UPDATE audit_events SET outcome = 'refused' WHERE seq = 12")
            .await;
        f2.rechain(12).await;
        let found = f2.finding(&f2.options()).await;
        assert_eq!(
            (found.kind, found.seq),
            (FindingKind::CheckpointMismatch, Some(9)),
            "{found}"
        );
        assert!(found.message.contains("entries 9..=16"), "{found}");
    }
);

on_both!(
    a_truncated_log_is_caught_by_the_external_file,
    |f: Fixture| async move {
        // Cut the log back to 12 entries and remove the database checkpoint that covered more.
        f.sql("DELETE FROM audit_events WHERE seq > 12").await;
        f.sql("DELETE FROM audit_checkpoints WHERE tree_size = 16")
            .await;
        let found = f.finding(&f.options()).await;
        assert_eq!(
            (found.kind, found.seq),
            (FindingKind::Truncated, Some(13)),
            "{found}"
        );
        assert!(found.message.contains("checkpoints.jsonl:2"), "{found}");
        // Without the external file the database alone cannot tell: this is why the file exists.
        let db_only = VerifyOptions {
            checkpoint_file: None,
            ..f.options()
        };
        verify_store(&f.store, &db_only, |_, _| {}).await.unwrap();
    }
);

on_both!(
    a_deleted_database_checkpoint_is_named,
    |f: Fixture| async move {
        f.sql("DELETE FROM audit_checkpoints WHERE tree_size = 8")
            .await;
        let found = f.finding(&f.options()).await;
        assert_eq!(found.kind, FindingKind::CheckpointMissing, "{found}");
        assert!(found.message.contains("tree size 8"), "{found}");
    }
);

on_both!(
    a_checkpoint_signed_by_another_key_is_named,
    |f: Fixture| async move {
        // The attacker signs a checkpoint of their own and swaps it into the database.
        let forger = CheckpointSigner::from_seed(&[9; 32]);
        let row = f.store.latest_audit_checkpoint().await.unwrap().unwrap();
        let mut c = tradeward_audit::SignedCheckpoint::from_row(&row).unwrap();
        c = forger.sign(c.checkpoint);
        f.sql("DELETE FROM audit_checkpoints WHERE tree_size = 16")
            .await;
        f.store
            .insert_audit_checkpoint(&c.to_row(row.frontier))
            .await
            .unwrap();
        let found = f.finding(&f.options()).await;
        assert_eq!(found.kind, FindingKind::CheckpointWrongKey, "{found}");
        assert!(
            found.message.contains("tree size 16 in the database"),
            "{found}"
        );
        // Appended to the external file instead, it is named with its line.
        let forged = forger.sign(tradeward_audit::Checkpoint {
            tree_size: 20,
            ..c.checkpoint
        });
        tradeward_audit::CheckpointFile::new(&f.file)
            .append(&forged)
            .unwrap();
        let found = f.finding(&f.options()).await;
        assert_eq!(found.kind, FindingKind::CheckpointWrongKey, "{found}");
    }
);

on_both!(
    a_tampered_checkpoint_signature_is_named,
    |f: Fixture| async move {
        let sql = match f.store.backend() {
            Backend::Sqlite => "UPDATE audit_checkpoints SET at_us = at_us + 1 WHERE tree_size = 8",
            Backend::Postgres => {
                "UPDATE audit_checkpoints SET at_us = at_us + 1 WHERE tree_size = 8"
            }
        };
        f.sql(sql).await;
        let found = f.finding(&f.options()).await;
        assert_eq!(found.kind, FindingKind::CheckpointSignature, "{found}");
    }
);

on_both!(
    the_checkpointer_refuses_to_sign_a_broken_chain,
    |f: Fixture| async move {
        f.sql("UPDATE audit_events SET detail = '{}' WHERE seq = 19")
            .await;
        // A fresh checkpointer resumes from the checkpoint at 16 and reads 17.. onward.
        let mut cp = Checkpointer::open(f.store.clone(), CheckpointSigner::from_seed(&SEED), None)
            .await
            .unwrap();
        let err = cp.checkpoint(99).await.unwrap_err();
        assert!(err.to_string().contains("entry 19"), "{err}");
    }
);
