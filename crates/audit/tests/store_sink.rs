//! The store-backed sink keeps order and commits everything recorded before a flush.
#![allow(clippy::unwrap_used)]

use tradeward_audit::{AuditEvent, AuditSink, Outcome, StoreAuditSink};
use tradeward_store::{testing, AuditFilter};

#[tokio::test]
async fn events_are_committed_in_order_by_flush() {
    let dir = tempfile::tempdir().unwrap();
    let store = testing::fresh_sqlite(dir.path()).await.unwrap();
    let sink = StoreAuditSink::spawn(store.clone());
    for i in 0..10_000i64 {
        let mut e = AuditEvent::new(i, "signer.sign", "signer", Outcome::Ok).with("n", i);
        e.user_id = Some(format!("u{}", i % 3));
        sink.record(e).unwrap();
    }
    sink.flush().await.unwrap();
    let rows = store
        .audit_events(&AuditFilter {
            limit: Some(20_000),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 10_000);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.row.at_us, i as i64);
        assert_eq!(r.row.detail, format!("{{\"n\":{i}}}"));
    }
}
