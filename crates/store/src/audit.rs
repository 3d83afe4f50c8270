//! Audit rows at rest. The audit crate decides what an event is; this only appends and reads.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{query_err, StoreError};
use crate::Store;

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

/// Which audit rows to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this user's events.
    pub user_id: Option<String>,
    /// Only events of this kind.
    pub kind: Option<String>,
    /// Only events after this sequence number.
    pub after_seq: Option<i64>,
    /// At most this many rows (default 1000).
    pub limit: Option<i64>,
}

const COLUMNS: &str = "at_us, kind, component, outcome, user_id, session_id, credential_id, \
                       source_addr, reason, detail";

fn from_row(r: &AnyRow) -> StoredAuditRow {
    StoredAuditRow {
        seq: r.get(0),
        row: AuditRow {
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
        },
    }
}

impl Store {
    /// Appends audit rows in order, in one transaction.
    pub async fn append_audit(&self, rows: &[AuditRow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        for e in rows {
            sqlx::query(&format!(
                "INSERT INTO audit_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ))
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
            .execute(&mut *tx)
            .await
            .map_err(query_err("append audit event"))?;
        }
        tx.commit().await.map_err(query_err("commit audit events"))
    }

    /// Reads audit rows in log order.
    pub async fn audit_events(&self, f: &AuditFilter) -> Result<Vec<StoredAuditRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT seq, {COLUMNS} FROM audit_events \
             WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR kind = $2) AND seq > $3 \
             ORDER BY seq LIMIT $4"
        ))
        .bind(&f.user_id)
        .bind(&f.kind)
        .bind(f.after_seq.unwrap_or(0))
        .bind(f.limit.unwrap_or(1000))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select audit events"))?;
        Ok(rows.iter().map(from_row).collect())
    }
}
