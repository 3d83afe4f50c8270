//! Sealed secrets at rest: ciphertext plus wrapped data key, never a plaintext.
//!
//! The store is deliberately ignorant of the cryptography: it keeps the bytes the vault
//! produced, and supports the KEK rotation walk (find rows under an old KEK version,
//! compare-and-set the re-wrapped data key) so a rotation can stop and resume at any row.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::error::{query_err, StoreError};
use crate::Store;

/// One sealed secret as stored. `owner_id`, `record_id`, `venue` and `field` are the vault's
/// seal context: the ciphertext opens only with exactly these values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRow {
    /// The record the secret belongs to (a credential id, a user id for a TOTP seed, ...).
    pub record_id: String,
    /// Which secret of the record (`api_key`, `secret`, `passphrase`, `totp_seed`, ...).
    pub field: String,
    /// The owning user.
    pub owner_id: String,
    /// The venue for exchange secrets, or a fixed tag for other kinds of secret.
    pub venue: String,
    /// AEAD ciphertext including its tag.
    pub ciphertext: Vec<u8>,
    /// AEAD nonce.
    pub nonce: Vec<u8>,
    /// The data key, wrapped by the KEK.
    pub wrapped_dek: Vec<u8>,
    /// Which KEK version wrapped the data key.
    pub kek_version: i64,
}

const COLUMNS: &str =
    "record_id, field, owner_id, venue, ciphertext, nonce, wrapped_dek, kek_version";

fn from_row(r: &AnyRow) -> SealedRow {
    SealedRow {
        record_id: r.get(0),
        field: r.get(1),
        owner_id: r.get(2),
        venue: r.get(3),
        ciphertext: r.get(4),
        nonce: r.get(5),
        wrapped_dek: r.get(6),
        kek_version: r.get(7),
    }
}

pub(crate) async fn insert_sealed(
    tx: &mut Transaction<'_, Any>,
    row: &SealedRow,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO sealed_secrets ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&row.record_id)
    .bind(&row.field)
    .bind(&row.owner_id)
    .bind(&row.venue)
    .bind(&row.ciphertext)
    .bind(&row.nonce)
    .bind(&row.wrapped_dek)
    .bind(row.kek_version)
    .execute(&mut **tx)
    .await
    .map_err(query_err("sealed secret"))?;
    Ok(())
}

impl Store {
    /// Every sealed secret of one record, ordered by field.
    pub async fn sealed_secrets(&self, record_id: &str) -> Result<Vec<SealedRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sealed_secrets WHERE record_id = $1 ORDER BY field"
        ))
        .bind(record_id)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select sealed secrets"))?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// Stores sealed secrets of a record that has no other row (e.g. a TOTP seed), atomically.
    pub async fn insert_sealed_secrets(&self, rows: &[SealedRow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        for row in rows {
            insert_sealed(&mut tx, row).await?;
        }
        tx.commit()
            .await
            .map_err(query_err("commit sealed secrets"))
    }

    /// Up to `limit` sealed secrets whose data key is wrapped by a KEK version other than
    /// `current`: the next batch of a rotation.
    pub async fn sealed_secrets_not_at_version(
        &self,
        current: i64,
        limit: i64,
    ) -> Result<Vec<SealedRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sealed_secrets WHERE kek_version <> $1 \
             ORDER BY record_id, field LIMIT $2"
        ))
        .bind(current)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select sealed secrets for rotation"))?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// How many sealed secrets are wrapped under each KEK version, ascending by version.
    pub async fn sealed_secret_counts(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT kek_version, COUNT(*) FROM sealed_secrets GROUP BY kek_version ORDER BY kek_version",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("count sealed secrets"))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Replaces a row's wrapped data key if it is still at `old_version` (compare-and-set, so a
    /// concurrent or repeated rotation never clobbers newer work). Returns whether it changed.
    pub async fn rewrap_sealed_secret(
        &self,
        row: &SealedRow,
        new_wrapped_dek: &[u8],
        new_version: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sealed_secrets SET wrapped_dek = $1, kek_version = $2 \
             WHERE record_id = $3 AND field = $4 AND kek_version = $5",
        )
        .bind(new_wrapped_dek)
        .bind(new_version)
        .bind(&row.record_id)
        .bind(&row.field)
        .bind(row.kek_version)
        .execute(&self.pool)
        .await
        .map_err(query_err("rewrap sealed secret"))?;
        Ok(done.rows_affected() == 1)
    }
}
