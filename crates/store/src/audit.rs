//! Audit rows at rest, and the hash chain that makes them tamper-evident.
//!
//! The audit crate decides what an event is; this appends and reads. Every append computes the
//! row's leaf hash over a canonical encoding ([`audit_entry_bytes`]) and its chain hash
//! `SHA-256(prev_hash || leaf_hash)` inside the same transaction that reads the current head,
//! so the chain is right whichever process appends. The new row takes `seq = head + 1`
//! explicitly: two writers that race for the same head collide on the primary key and on the
//! unique `prev_hash`, and the loser retries on the new head instead of forking the chain.

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::error::{query_err, StoreError};
use crate::Store;

/// A SHA-256 digest in the audit log.
pub type AuditHash = [u8; 32];

/// The chain's starting value: the `prev_hash` of entry 1.
pub const AUDIT_GENESIS: AuditHash = [0; 32];

/// Label and format version at the start of every canonical entry encoding.
const ENTRY_LABEL: &[u8] = b"tradeward-audit/entry";
const ENTRY_FORMAT: u8 = 1;

/// An audit event to append. `detail` is JSON text and must never hold a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// When it happened, µs since the epoch.
    pub at_us: i64,
    /// Event kind, e.g. `signer.sign`, `signer.refuse`.
    pub kind: String,
    /// The component that acted (`signer`, `web`, `cli`, ...).
    pub component: String,
    /// `ok`, `refused` or `error`.
    pub outcome: String,
    /// The user concerned.
    pub user_id: Option<String>,
    /// The session or token concerned.
    pub session_id: Option<String>,
    /// The credential used or touched.
    pub credential_id: Option<String>,
    /// The network address the request came from.
    pub source_addr: Option<String>,
    /// Why it was refused or failed.
    pub reason: Option<String>,
    /// Further facts as a JSON object.
    pub detail: String,
}

/// An appended audit row with its sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditRow {
    /// Position in the log (1-based, strictly increasing).
    pub seq: i64,
    /// The row.
    pub row: AuditRow,
}

/// An appended row with the hashes stored beside it, as `audit verify` reads them. The hashes
/// are `None` only for a row written before the chain existed and not yet chained (or one an
/// attacker cleared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedAuditRow {
    /// Position in the log.
    pub seq: i64,
    /// The row.
    pub row: AuditRow,
    /// The chain hash of the previous entry as stored.
    pub prev_hash: Option<Vec<u8>>,
    /// This entry's chain hash as stored.
    pub chain_hash: Option<Vec<u8>>,
}

/// Which audit rows to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this user's events.
    pub user_id: Option<String>,
    /// Only events of this kind.
    pub kind: Option<String>,
    /// Only events after this sequence number.
    pub after_seq: Option<i64>,
    /// Only events at or after this time (µs since the epoch).
    pub since_us: Option<i64>,
    /// Only events before this time (µs since the epoch).
    pub until_us: Option<i64>,
    /// At most this many rows (default 1000).
    pub limit: Option<i64>,
}

/// The canonical bytes of entry `seq`: the label, the format version, `seq` and `at_us` as
/// 8-byte big-endian integers, then every text field length-prefixed (u64 big-endian); optional
/// fields carry a presence byte first (0 absent, 1 present). No two different rows encode alike.
pub fn audit_entry_bytes(seq: i64, row: &AuditRow) -> Vec<u8> {
    let opt_len = |o: &Option<String>| 9 + o.as_ref().map_or(0, String::len);
    let mut out = Vec::with_capacity(
        8 + ENTRY_LABEL.len()
            + 1
            + 16
            + 24
            + row.kind.len()
            + row.component.len()
            + row.outcome.len()
            + opt_len(&row.user_id)
            + opt_len(&row.session_id)
            + opt_len(&row.credential_id)
            + opt_len(&row.source_addr)
            + opt_len(&row.reason)
            + 8
            + row.detail.len(),
    );
    push(&mut out, ENTRY_LABEL);
    out.push(ENTRY_FORMAT);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&row.at_us.to_be_bytes());
    push(&mut out, row.kind.as_bytes());
    push(&mut out, row.component.as_bytes());
    push(&mut out, row.outcome.as_bytes());
    for field in [
        &row.user_id,
        &row.session_id,
        &row.credential_id,
        &row.source_addr,
        &row.reason,
    ] {
        match field {
            None => out.push(0),
            Some(text) => {
                out.push(1);
                push(&mut out, text.as_bytes());
            }
        }
    }
    push(&mut out, row.detail.as_bytes());
    out
}

fn push(out: &mut Vec<u8>, item: &[u8]) {
    // usize -> u64 is lossless on every platform Rust supports.
    out.extend_from_slice(&(item.len() as u64).to_be_bytes());
    out.extend_from_slice(item);
}

/// The RFC 6962 leaf hash of entry `seq`: `SHA-256(0x00 || audit_entry_bytes(seq, row))`.
pub fn audit_leaf_hash(seq: i64, row: &AuditRow) -> AuditHash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(audit_entry_bytes(seq, row));
    h.finalize().into()
}

/// The next chain hash: `SHA-256(prev || leaf)`.
pub fn audit_chain_next(prev: &AuditHash, leaf: &AuditHash) -> AuditHash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(leaf);
    h.finalize().into()
}

const COLUMNS: &str = "at_us, kind, component, outcome, user_id, session_id, credential_id, \
                       source_addr, reason, detail";

fn audit_row(r: &AnyRow) -> AuditRow {
    AuditRow {
        at_us: r.get(1),
        kind: r.get(2),
        component: r.get(3),
        outcome: r.get(4),
        user_id: r.get(5),
        session_id: r.get(6),
        credential_id: r.get(7),
        source_addr: r.get(8),
        reason: r.get(9),
        detail: r.get(10),
    }
}

fn from_row(r: &AnyRow) -> StoredAuditRow {
    StoredAuditRow {
        seq: r.get(0),
        row: audit_row(r),
    }
}

fn hash_column(bytes: Option<Vec<u8>>, column: &'static str) -> Result<AuditHash, StoreError> {
    let bytes = bytes.ok_or(StoreError::Corrupt {
        column,
        reason: "missing hash".into(),
    })?;
    bytes.try_into().map_err(|b: Vec<u8>| StoreError::Corrupt {
        column,
        reason: format!("hash of {} bytes, expected 32", b.len()),
    })
}

/// How many times an append retries after losing a race for the head.
const APPEND_ATTEMPTS: usize = 20;

/// Appends `rows` after the current head within `tx`, chaining each one, and returns the new
/// head `(seq, chain_hash)`. Store functions that change something and audit it call this in
/// their own transaction, so the change and its record commit together.
/// Rows per INSERT statement (13 parameters each). Kept small: SQLite looks bound parameter
/// names up linearly, so very wide statements cost quadratic time.
const APPEND_CHUNK: usize = 32;

pub(crate) async fn append_audit_tx(
    tx: &mut Transaction<'_, Any>,
    rows: &[AuditRow],
) -> Result<(i64, AuditHash), StoreError> {
    let (mut seq, mut head) = chain_head_tx(tx).await?;
    // Many rows per INSERT: one statement per row made appends the bottleneck of a busy signer.
    for chunk in rows.chunks(APPEND_CHUNK) {
        let mut sql =
            format!("INSERT INTO audit_events (seq, {COLUMNS}, prev_hash, chain_hash) VALUES ");
        for i in 0..chunk.len() {
            let base = i * 13;
            if i > 0 {
                sql.push_str(", ");
            }
            let params: Vec<String> = (1..=13).map(|k| format!("${}", base + k)).collect();
            sql.push('(');
            sql.push_str(&params.join(", "));
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for e in chunk {
            seq += 1;
            let prev = head;
            head = audit_chain_next(&prev, &audit_leaf_hash(seq, e));
            query = query
                .bind(seq)
                .bind(e.at_us)
                .bind(&e.kind)
                .bind(&e.component)
                .bind(&e.outcome)
                .bind(&e.user_id)
                .bind(&e.session_id)
                .bind(&e.credential_id)
                .bind(&e.source_addr)
                .bind(&e.reason)
                .bind(&e.detail)
                .bind(prev.to_vec())
                .bind(head.to_vec());
        }
        query
            .execute(&mut **tx)
            .await
            .map_err(query_err("append audit event"))?;
    }
    Ok((seq, head))
}

/// The head `(seq, chain_hash)` as seen in `tx`, first chaining any rows written before the
/// chain existed (they have NULL hashes and sit at the end of the log).
async fn chain_head_tx(tx: &mut Transaction<'_, Any>) -> Result<(i64, AuditHash), StoreError> {
    let last = sqlx::query("SELECT seq, chain_hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await
        .map_err(query_err("read audit head"))?;
    let Some(last) = last else {
        return Ok((0, AUDIT_GENESIS));
    };
    let (seq, hash): (i64, Option<Vec<u8>>) = (last.get(0), last.get(1));
    if hash.is_some() {
        return Ok((seq, hash_column(hash, "audit_events.chain_hash")?));
    }
    chain_legacy_rows(tx).await
}

async fn chain_legacy_rows(tx: &mut Transaction<'_, Any>) -> Result<(i64, AuditHash), StoreError> {
    let first: Option<i64> =
        sqlx::query("SELECT MIN(seq) FROM audit_events WHERE chain_hash IS NULL")
            .fetch_one(&mut **tx)
            .await
            .map_err(query_err("find unchained audit rows"))?
            .get(0);
    let first = first.unwrap_or(1);
    let prev = sqlx::query(
        "SELECT seq, chain_hash FROM audit_events WHERE seq < $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(first)
    .fetch_optional(&mut **tx)
    .await
    .map_err(query_err("read audit head"))?;
    let (mut seq, mut head) = match prev {
        None => (0, AUDIT_GENESIS),
        Some(r) => (r.get(0), hash_column(r.get(1), "audit_events.chain_hash")?),
    };
    let rows = sqlx::query(&format!(
        "SELECT seq, {COLUMNS} FROM audit_events WHERE seq >= $1 ORDER BY seq"
    ))
    .bind(first)
    .fetch_all(&mut **tx)
    .await
    .map_err(query_err("read unchained audit rows"))?;
    for r in rows.iter().map(from_row) {
        let prev = head;
        head = audit_chain_next(&prev, &audit_leaf_hash(r.seq, &r.row));
        seq = r.seq;
        sqlx::query("UPDATE audit_events SET prev_hash = $1, chain_hash = $2 WHERE seq = $3")
            .bind(prev.to_vec())
            .bind(head.to_vec())
            .bind(seq)
            .execute(&mut **tx)
            .await
            .map_err(query_err("chain legacy audit row"))?;
    }
    Ok((seq, head))
}

/// Whether an append failed only because another writer got there first (a unique collision
/// on seq or prev_hash, or SQLite refusing to upgrade a stale read snapshot to a write).
fn lost_race(e: &StoreError) -> bool {
    match e {
        StoreError::Conflict(_) => true,
        StoreError::Query {
            source: sqlx::Error::Database(db),
            ..
        } => {
            let msg = db.message();
            msg.contains("database is locked") || msg.contains("could not serialize")
        }
        _ => false,
    }
}

impl Store {
    /// Appends audit rows in order, chained, in one transaction; retries if another writer
    /// appended concurrently. Returns the new head `(seq, chain_hash)`.
    pub async fn append_audit(&self, rows: &[AuditRow]) -> Result<(i64, AuditHash), StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
                let head = append_audit_tx(&mut tx, rows).await?;
                tx.commit()
                    .await
                    .map_err(query_err("commit audit events"))?;
                Ok(head)
            }
            .await;
            match result {
                Err(e) if attempt < APPEND_ATTEMPTS && lost_race(&e) => {
                    tracing::debug!(attempt, "audit append lost a race for the head; retrying");
                    // Spread retries so two racing writers do not collide again in lock step.
                    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0] % 8);
                    tokio::time::sleep(std::time::Duration::from_millis(1 + jitter)).await;
                }
                other => return other,
            }
        }
    }

    /// Reads audit rows in log order.
    pub async fn audit_events(&self, f: &AuditFilter) -> Result<Vec<StoredAuditRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT seq, {COLUMNS} FROM audit_events \
             WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR kind = $2) AND seq > $3 \
             AND at_us >= $4 AND at_us < $5 ORDER BY seq LIMIT $6"
        ))
        .bind(&f.user_id)
        .bind(&f.kind)
        .bind(f.after_seq.unwrap_or(0))
        .bind(f.since_us.unwrap_or(i64::MIN))
        .bind(f.until_us.unwrap_or(i64::MAX))
        .bind(f.limit.unwrap_or(1000))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select audit events"))?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// Up to `limit` rows after `after_seq`, in seq order, with their stored hashes: one page of
    /// a verification walk.
    pub async fn audit_chain_page(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChainedAuditRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT seq, {COLUMNS}, prev_hash, chain_hash FROM audit_events \
             WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select audit chain"))?;
        Ok(rows
            .iter()
            .map(|r| ChainedAuditRow {
                seq: r.get(0),
                row: audit_row(r),
                prev_hash: r.get(11),
                chain_hash: r.get(12),
            })
            .collect())
    }

    /// How many rows the audit log holds and the highest seq (0 when empty).
    pub async fn audit_extent(&self) -> Result<(i64, i64), StoreError> {
        let r = sqlx::query("SELECT COUNT(*), MAX(seq) FROM audit_events")
            .fetch_one(&self.pool)
            .await
            .map_err(query_err("count audit events"))?;
        let max: Option<i64> = r.get(1);
        Ok((r.get(0), max.unwrap_or(0)))
    }
}

/// A signed checkpoint as stored. The audit crate gives the bytes their meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheckpointRow {
    /// How many entries the checkpoint covers.
    pub tree_size: i64,
    /// RFC 6962 Merkle tree head over entries 1..=tree_size.
    pub root_hash: Vec<u8>,
    /// The chain hash of entry tree_size.
    pub chain_head: Vec<u8>,
    /// When it was made, µs since the epoch.
    pub at_us: i64,
    /// The Ed25519 public key that signed it.
    pub public_key: Vec<u8>,
    /// The Ed25519 signature.
    pub signature: Vec<u8>,
    /// The compact range (perfect-subtree roots, left to right) at tree_size, concatenated.
    pub frontier: Vec<u8>,
}

const CHECKPOINT_COLUMNS: &str =
    "tree_size, root_hash, chain_head, at_us, public_key, signature, frontier";

fn checkpoint_from_row(r: &AnyRow) -> AuditCheckpointRow {
    AuditCheckpointRow {
        tree_size: r.get(0),
        root_hash: r.get(1),
        chain_head: r.get(2),
        at_us: r.get(3),
        public_key: r.get(4),
        signature: r.get(5),
        frontier: r.get(6),
    }
}

impl Store {
    /// Stores a checkpoint. A second checkpoint at the same tree size is a `Conflict`.
    pub async fn insert_audit_checkpoint(&self, c: &AuditCheckpointRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO audit_checkpoints ({CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(c.tree_size)
        .bind(&c.root_hash)
        .bind(&c.chain_head)
        .bind(c.at_us)
        .bind(&c.public_key)
        .bind(&c.signature)
        .bind(&c.frontier)
        .execute(&self.pool)
        .await
        .map_err(query_err("audit checkpoint"))?;
        Ok(())
    }

    /// Every stored checkpoint, by tree size.
    pub async fn audit_checkpoints(&self) -> Result<Vec<AuditCheckpointRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY tree_size"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select audit checkpoints"))?;
        Ok(rows.iter().map(checkpoint_from_row).collect())
    }

    /// The checkpoint with the largest tree size, if any.
    pub async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpointRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("select latest audit checkpoint"))?;
        Ok(row.as_ref().map(checkpoint_from_row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AuditRow {
        AuditRow {
            at_us: 0x0102,
            kind: "k".into(),
            component: "c".into(),
            outcome: "ok".into(),
            user_id: Some("u".into()),
            session_id: None,
            credential_id: None,
            source_addr: None,
            reason: None,
            detail: "{}".into(),
        }
    }

    #[test]
    fn entry_encoding_is_pinned() {
        let mut want = Vec::new();
        want.extend_from_slice(&21u64.to_be_bytes());
        want.extend_from_slice(b"tradeward-audit/entry");
        want.push(1);
        want.extend_from_slice(&7i64.to_be_bytes());
        want.extend_from_slice(&0x0102i64.to_be_bytes());
        for s in ["k", "c", "ok"] {
            want.extend_from_slice(&(s.len() as u64).to_be_bytes());
            want.extend_from_slice(s.as_bytes());
        }
        want.push(1);
        want.extend_from_slice(&1u64.to_be_bytes());
        want.push(b'u');
        want.extend_from_slice(&[0, 0, 0, 0]);
        want.extend_from_slice(&2u64.to_be_bytes());
        want.extend_from_slice(b"{}");
        assert_eq!(audit_entry_bytes(7, &row()), want);
    }

    #[test]
    fn absent_and_empty_fields_differ_and_seq_matters() {
        let mut empty = row();
        empty.session_id = Some(String::new());
        assert_ne!(audit_entry_bytes(1, &row()), audit_entry_bytes(1, &empty));
        assert_ne!(audit_leaf_hash(1, &row()), audit_leaf_hash(2, &row()));
        // Moving bytes between adjacent fields changes the encoding (length prefixes).
        let mut shifted = row();
        shifted.kind = "kc".into();
        shifted.component = String::new();
        assert_ne!(audit_entry_bytes(1, &row()), audit_entry_bytes(1, &shifted));
    }

    #[test]
    fn leaf_and_chain_hashes_follow_rfc6962_prefixes() {
        let entry = audit_entry_bytes(3, &row());
        let mut pre = vec![0u8];
        pre.extend_from_slice(&entry);
        let leaf: AuditHash = Sha256::digest(&pre).into();
        assert_eq!(audit_leaf_hash(3, &row()), leaf);
        let mut both = AUDIT_GENESIS.to_vec();
        both.extend_from_slice(&leaf);
        let chained: AuditHash = Sha256::digest(&both).into();
        assert_eq!(audit_chain_next(&AUDIT_GENESIS, &leaf), chained);
    }
}
