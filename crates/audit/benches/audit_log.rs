//! Audit log benchmarks:
//! - `verify_core`: the verifier's hashing and tree work on a generated in-memory log (the
//!   10,000,000-entry run is a separate one-shot printed before criterion's groups, since
//!   generating it takes longer than a criterion sample should);
//! - `verify_sqlite`: the full `verify_store` walk over a SQLite log (database decoding included);
//! - `append_with_checkpoints`: `StoreAuditSink` throughput on SQLite with a checkpoint every
//!   10,000 entries, signed and written to an external file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tradeward_audit::{
    verify_store, AuditEvent, AuditSink, ChainVerifier, CheckpointPolicy, CheckpointSigner,
    Checkpointer, Outcome, StoreAuditSink, VerifyOptions,
};
use tradeward_store::{audit_chain_next, audit_leaf_hash, AuditRow, AUDIT_GENESIS};

fn row(i: u64) -> AuditRow {
    AuditRow {
        at_us: 1_700_000_000_000_000 + i as i64,
        kind: "signer.sign".into(),
        component: "signer".into(),
        outcome: "ok".into(),
        user_id: Some("0191a5b2-7c1e-7d3a-9f00-1234567890ab".into()),
        session_id: Some("0191a5b2-7c1e-7d3a-9f00-ba0987654321".into()),
        credential_id: Some("0191a5b2-7c1e-7d3a-9f00-0000000000c1".into()),
        source_addr: Some("192.0.2.10".into()),
        reason: None,
        detail: format!(
            "{{\"venue\":\"binance\",\"method\":\"POST\",\"path\":\"/api/v3/order\",\"n\":{i}}}"
        ),
    }
}

/// Distinct row bodies the generated log cycles through (seq still differs per entry, so
/// every leaf and chain hash is distinct); keeps a 10M-entry log within ~700 MB.
const POOL: u64 = 4096;

struct Log {
    pool: Vec<AuditRow>,
    /// (pool index, prev_hash, chain_hash) per entry.
    entries: Vec<(u32, [u8; 32], [u8; 32])>,
}

/// A chained log of `n` entries, as stored.
fn generate(n: u64) -> Log {
    let pool: Vec<AuditRow> = (0..POOL).map(row).collect();
    let mut head = AUDIT_GENESIS;
    let entries = (1..=n)
        .map(|seq| {
            let idx = (seq % POOL) as u32;
            let next = audit_chain_next(&head, &audit_leaf_hash(seq as i64, &pool[idx as usize]));
            let out = (idx, head, next);
            head = next;
            out
        })
        .collect();
    Log { pool, entries }
}

fn verify_all(log: &Log) -> u64 {
    let mut v = ChainVerifier::default();
    for (i, (idx, prev, chain)) in log.entries.iter().enumerate() {
        v.push(
            i as i64 + 1,
            &log.pool[*idx as usize],
            Some(prev),
            Some(chain),
        )
        .unwrap();
    }
    v.finish().unwrap().0
}

/// One timed pass over a 10,000,000-entry log (set AUDIT_BENCH_BIG=0 to skip).
fn ten_million() {
    if std::env::var("AUDIT_BENCH_BIG").as_deref() == Ok("0") {
        return;
    }
    let n = 10_000_000;
    let t = Instant::now();
    let log = generate(n);
    let gen = t.elapsed();
    let t = Instant::now();
    assert_eq!(verify_all(&log), n);
    let took = t.elapsed();
    println!(
        "verify_core/10M: generated in {:.1?}; verified {n} entries in {:.2?} = {:.2} M entries/s",
        gen,
        took,
        n as f64 / took.as_secs_f64() / 1e6
    );
}

fn verify_core(c: &mut Criterion) {
    ten_million();
    let n = 200_000;
    let log = generate(n);
    let mut g = c.benchmark_group("verify_core");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| verify_all(&log))
    });
    g.finish();
}

fn verify_sqlite(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let n: u64 = 200_000;
    let store = rt.block_on(async {
        let store = tradeward_store::testing::fresh_sqlite(dir.path())
            .await
            .unwrap();
        let rows: Vec<AuditRow> = (1..=n).map(row).collect();
        for chunk in rows.chunks(10_000) {
            store.append_audit(chunk).await.unwrap();
        }
        store
    });
    let options = VerifyOptions::default();
    let mut g = c.benchmark_group("verify_sqlite");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| {
            let r = rt
                .block_on(verify_store(&store, &options, |_, _| {}))
                .unwrap();
            assert_eq!(r.entries, n);
        })
    });
    g.finish();
}

fn append_with_checkpoints(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checkpoints.jsonl");
    let sink = rt.block_on(async {
        let store = tradeward_store::testing::fresh_sqlite(dir.path())
            .await
            .unwrap();
        let cp = Checkpointer::open(
            store.clone(),
            CheckpointSigner::from_seed(&[1; 32]),
            Some(file),
        )
        .await
        .unwrap();
        StoreAuditSink::spawn_with_checkpoints(
            store,
            cp,
            CheckpointPolicy {
                every_entries: 10_000,
                every: Duration::from_secs(1),
            },
        )
    });
    let batch: u64 = 20_000;
    let mut g = c.benchmark_group("append_with_checkpoints");
    g.throughput(Throughput::Elements(batch));
    g.sample_size(10);
    g.bench_function(BenchmarkId::from_parameter(batch), |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..batch {
                    let e = AuditEvent::new(i as i64, "signer.sign", "signer", Outcome::Ok)
                        .with("venue", "binance")
                        .with("n", i);
                    sink.record(e).unwrap();
                }
                sink.flush().await.unwrap();
            })
        })
    });
    g.finish();
    // The writer checkpoints every 10,000 entries on its own, so nothing is left uncovered.
    let made = rt.block_on(sink.checkpoint_now()).unwrap();
    assert!(
        made.is_none(),
        "the policy should have covered every entry already"
    );
}

criterion_group!(benches, verify_core, verify_sqlite, append_with_checkpoints);
criterion_main!(benches);
