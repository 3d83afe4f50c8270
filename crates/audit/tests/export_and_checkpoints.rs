//! Exports read back (every flipped byte is caught), the vault-sealed checkpoint key, and the
//! sink's checkpointing by count and on demand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use tradeward_audit::{
    export_store, verify_export, verify_store, AuditEvent, AuditSink, CheckpointFile,
    CheckpointPolicy, CheckpointSigner, Checkpointer, FindingKind, Outcome, StoreAuditSink,
    VerifyError, VerifyOptions,
};
use tradeward_store::testing::fresh_sqlite;
use tradeward_store::{AuditRow, Store};
use tradeward_vault::{LocalKeyProvider, Vault};

fn event(i: usize) -> AuditRow {
    AuditRow {
        at_us: 7_000 + i as i64,
        kind: "auth.login".into(),
        component: "web".into(),
        outcome: if i.is_multiple_of(2) { "ok" } else { "refused" }.into(),
        user_id: Some(format!("u{i}")),
        session_id: i.is_multiple_of(3).then(|| "s1".into()),
        credential_id: None,
        source_addr: Some("10.0.0.1".into()),
        reason: (i % 2 == 1).then(|| "bad password".into()),
        detail: format!("{{\"n\":{i}}}"),
    }
}

async fn exported(store: &Store, signer: CheckpointSigner) -> Vec<u8> {
    let mut cp = Checkpointer::open(store.clone(), signer, None)
        .await
        .unwrap();
    let rows: Vec<AuditRow> = (1..=7).map(event).collect();
    store.append_audit(&rows[..3]).await.unwrap();
    let early = cp.checkpoint(1).await.unwrap().unwrap();
    store.append_audit(&rows[3..]).await.unwrap();
    let last = cp.checkpoint(2).await.unwrap().unwrap();
    let mut out = Vec::new();
    let report = export_store(store, &last, &[early], &mut out)
        .await
        .unwrap();
    assert_eq!((report.entries, report.earlier), (7, 1));
    out
}

#[tokio::test]
async fn an_export_verifies_and_every_flipped_byte_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_sqlite(dir.path()).await.unwrap();
    let signer = CheckpointSigner::from_seed(&[3; 32]);
    let key = signer.public_key();
    let out = exported(&store, signer).await;
    let report = verify_export(&out[..], Some(&key)).unwrap();
    assert_eq!(report.entries, 7);
    assert_eq!(report.earlier, 1);

    // Flip one bit of every byte of one entry line, and of every 29th byte elsewhere (each
    // check verifies Ed25519 signatures, slow in debug builds): each must be refused by name,
    // none may panic.
    let line_start = out
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(2)
        .unwrap()
        .0
        + 1;
    let line_end = line_start + out[line_start..].iter().position(|b| *b == b'\n').unwrap();
    let positions = (line_start..=line_end).chain((0..out.len()).step_by(29));
    for i in positions {
        let mut bad = out.clone();
        bad[i] ^= 0x01;
        match verify_export(&bad[..], Some(&key)) {
            Err(VerifyError::Tampered(_)) => {}
            other => panic!(
                "byte {i} ({:?}) flipped went unnoticed: {other:?}",
                out[i] as char
            ),
        }
    }
    // A flip inside an entry's text names that entry.
    let text = String::from_utf8(out.clone()).unwrap();
    let at = text.find("\"u5\"").unwrap() + 2;
    let mut bad = out.clone();
    bad[at] ^= 0x01;
    match verify_export(&bad[..], Some(&key)) {
        Err(VerifyError::Tampered(f)) => {
            assert_eq!((f.kind, f.seq), (FindingKind::EntryEdited, Some(5)), "{f}")
        }
        other => panic!("{other:?}"),
    }
    // Dropping the last entry is caught too.
    let cut = text.trim_end().rsplit_once('\n').unwrap().0;
    match verify_export(cut.as_bytes(), Some(&key)) {
        Err(VerifyError::Tampered(f)) => assert_eq!(f.kind, FindingKind::Truncated, "{f}"),
        other => panic!("{other:?}"),
    }
    // Under another trusted key, the export is refused.
    let other = CheckpointSigner::from_seed(&[4; 32]).public_key();
    match verify_export(&out[..], Some(&other)) {
        Err(VerifyError::Tampered(f)) => assert_eq!(f.kind, FindingKind::CheckpointWrongKey),
        r => panic!("{r:?}"),
    }
}

#[tokio::test]
async fn the_checkpoint_key_is_sealed_by_the_vault_and_stable() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_sqlite(dir.path()).await.unwrap();
    let vault = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&dir.path().join("kek")).unwrap(),
    ));
    let first = CheckpointSigner::load_or_create(&store, &vault)
        .await
        .unwrap();
    let again = CheckpointSigner::load_or_create(&store, &vault)
        .await
        .unwrap();
    assert_eq!(first.public_key(), again.public_key());
    let rows = store.sealed_secrets("audit-checkpoint-key").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].venue.as_str(), rows[0].field.as_str()),
        ("audit", "checkpoint_key")
    );
    // Debug never shows the key.
    let shown = format!("{first:?}");
    assert!(shown.contains("REDACTED"), "{shown}");
    // Another KEK cannot open it.
    let other = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&dir.path().join("kek2")).unwrap(),
    ));
    assert!(CheckpointSigner::load_or_create(&store, &other)
        .await
        .is_err());
}

#[tokio::test]
async fn the_sink_checkpoints_by_count_and_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_sqlite(dir.path()).await.unwrap();
    let file = dir.path().join("cp.jsonl");
    let signer = CheckpointSigner::from_seed(&[5; 32]);
    let key = signer.public_key();
    let cp = Checkpointer::open(store.clone(), signer, Some(file.clone()))
        .await
        .unwrap();
    let sink = StoreAuditSink::spawn_with_checkpoints(
        store.clone(),
        cp,
        CheckpointPolicy {
            every_entries: 10,
            every: std::time::Duration::from_secs(3600),
        },
    );
    for i in 0..25 {
        sink.record(AuditEvent::new(i, "signer.sign", "signer", Outcome::Ok))
            .unwrap();
        if i % 5 == 4 {
            sink.flush().await.unwrap();
        }
    }
    let now = sink.checkpoint_now().await.unwrap().unwrap();
    assert_eq!(now.checkpoint.tree_size, 25);
    assert!(
        sink.checkpoint_now().await.unwrap().is_none(),
        "nothing new"
    );
    let (lines, bad) = CheckpointFile::new(&file).read().unwrap();
    assert!(bad.is_empty());
    let sizes: Vec<u64> = lines
        .iter()
        .map(|l| l.checkpoint.checkpoint.tree_size)
        .collect();
    assert_eq!(sizes, vec![10, 20, 25]);
    let report = verify_store(
        &store,
        &VerifyOptions {
            trusted_key: Some(key),
            checkpoint_file: Some(file),
            page_size: None,
        },
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!((report.entries, report.checkpoints), (25, 3));
    // A sink without a checkpointer says so instead of pretending.
    let plain = StoreAuditSink::spawn(store.clone());
    assert!(plain.checkpoint_now().await.is_err());
}
