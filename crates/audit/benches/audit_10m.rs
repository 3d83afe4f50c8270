//! On demand only (not in the test suite, not a criterion group): the audit log at 10,000,000
//! entries in SQLite.
//!
//! 1. Append throughput WITHOUT checkpoints (500,000 entries, a database of its own), for the
//!    ratio.
//! 2. Append throughput WITH checkpointing: the whole log written through `StoreAuditSink`
//!    under the default policy (a signed checkpoint every 100,000 entries, written to the
//!    database and the external file), as a deployment writes it.
//! 3. `verify_store` over it: the chain, the Merkle tree and every checkpoint (database and
//!    file), reading every row back — what `tradeward audit verify` runs.
//!
//! ```text
//! AUDIT_10M_DIR=/tmp/tw10m/data cargo bench -p tradeward-audit --bench audit_10m
//! tradeward audit verify --data-dir /tmp/tw10m/data      # the CLI over the same log
//! ```
//! `AUDIT_10M_ENTRIES` changes the size. With `AUDIT_10M_DIR` the log is kept (laid out as a
//! `--data-dir`: `DIR/tradeward.db`, checkpoints in `DIR.audit-checkpoints.jsonl`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tradeward_audit::{
    verify_store, AuditEvent, AuditSink, CheckpointPolicy, CheckpointSigner, Checkpointer, Outcome,
    StoreAuditSink, VerifyOptions,
};
use tradeward_store::Store;

/// Events recorded between flushes (bounds the queue's memory).
const CHUNK: u64 = 100_000;

fn event(i: u64) -> AuditEvent {
    let mut e = AuditEvent::new(
        1_800_000_000_000_000 + i as i64,
        "signer.sign",
        "signer",
        Outcome::Ok,
    )
    .with("venue", "binance")
    .with("method", "POST")
    .with("path", "/api/v3/order")
    .with("class", "trade")
    .with("n", i);
    e.user_id = Some("0191a5b2-7c1e-7d3a-9f00-1234567890ab".into());
    e.session_id = Some("0191a5b2-7c1e-7d3a-9f00-ba0987654321".into());
    e.credential_id = Some("0191a5b2-7c1e-7d3a-9f00-0000000000c1".into());
    e.source_addr = Some("192.0.2.10".into());
    e
}

/// Records `n` events through `sink`, flushing every [`CHUNK`]; returns the elapsed time.
async fn append(sink: &StoreAuditSink, n: u64, label: &str) -> Duration {
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        let end = (done + CHUNK).min(n);
        for i in done..end {
            sink.record(event(i)).unwrap();
        }
        sink.flush().await.unwrap();
        done = end;
        if done % 1_000_000 == 0 {
            eprintln!(
                "{label}: {done} entries, {:.1} k/s",
                done as f64 / t.elapsed().as_secs_f64() / 1e3
            );
        }
    }
    t.elapsed()
}

async fn sqlite(dir: &std::path::Path) -> Store {
    std::fs::create_dir_all(dir).unwrap();
    Store::open(&format!("sqlite://{}", dir.join("tradeward.db").display()))
        .await
        .unwrap()
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().expect("a whole number"))
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; criterion-style filters are not used here.
    let n = env_u64("AUDIT_10M_ENTRIES", 10_000_000);
    let baseline_n = env_u64("AUDIT_10M_BASELINE", 500_000).min(n);
    let temp = tempfile::tempdir().unwrap();
    let data: PathBuf = std::env::var_os("AUDIT_10M_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| temp.path().join("data"));
    if data.join("tradeward.db").exists() {
        panic!(
            "{} already holds a log: remove it (and its .audit-checkpoints.jsonl) first",
            data.display()
        );
    }
    let mut file = data.clone().into_os_string();
    file.push(".audit-checkpoints.jsonl");
    let file = PathBuf::from(file);

    // 1. Without checkpoints.
    let base_store = sqlite(&temp.path().join("baseline")).await;
    let plain = StoreAuditSink::spawn(base_store);
    let took = append(&plain, baseline_n, "append (no checkpoints)").await;
    plain.close().await.unwrap();
    let plain_rate = baseline_n as f64 / took.as_secs_f64();
    println!(
        "append without checkpoints: {baseline_n} entries in {took:.2?} = {:.1} k entries/s",
        plain_rate / 1e3
    );

    // 2. With checkpointing, the default policy.
    let store = sqlite(&data).await;
    let signer = CheckpointSigner::from_seed(&[3; 32]);
    let key = signer.public_key();
    let cp = Checkpointer::open(store.clone(), signer, Some(file.clone()))
        .await
        .unwrap();
    let policy = CheckpointPolicy::default();
    let sink = StoreAuditSink::spawn_with_checkpoints(store.clone(), cp, policy);
    let took = append(&sink, n, "append (checkpoints)").await;
    sink.close().await.unwrap();
    let rate = n as f64 / took.as_secs_f64();
    let checkpoints = store.audit_checkpoints().await.unwrap().len();
    println!(
        "append with checkpoints (every {} entries or {:?}, signed, database + file): {n} \
         entries in {took:.2?} = {:.1} k entries/s ({:.2}x the rate without), {checkpoints} \
         checkpoints",
        policy.every_entries,
        policy.every,
        rate / 1e3,
        rate / plain_rate
    );

    // 3. Verify everything.
    let options = VerifyOptions {
        trusted_key: Some(key),
        checkpoint_file: Some(file.clone()),
        page_size: None,
    };
    let t = Instant::now();
    let report = verify_store(&store, &options, |_, _| {}).await.unwrap();
    let took = t.elapsed();
    assert_eq!(report.entries, n);
    println!(
        "verify_store over SQLite: {n} entries, {} checkpoints ({} from the file) in {took:.2?} \
         = {:.0} k entries/s",
        report.checkpoints,
        report.external_checkpoints,
        n as f64 / took.as_secs_f64() / 1e3
    );
    println!(
        "public key {}; log at {} (checkpoints {})",
        hex::encode(key.as_bytes()),
        data.display(),
        file.display()
    );
}
