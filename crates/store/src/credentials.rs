//! Exchange credentials: public metadata, limits, and their sealed secrets, written in one
//! transaction so a failure never leaves half a credential behind.

use std::str::FromStr;

use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::Row;
use tradeward_domain::{CredentialId, UserId};

use crate::error::{query_err, StoreError};
use crate::secrets::{insert_sealed, SealedRow};
use crate::users::parse_user_id;
use crate::Store;

/// A credential to store, with its secrets already sealed by the vault.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// Id chosen by the caller (it is part of the secrets' seal context).
    pub id: CredentialId,
    /// The owning user.
    pub owner_id: UserId,
    /// Venue name (`binance`, `sim`, ...).
    pub venue: String,
    /// The user's label for the key.
    pub label: String,
    /// Signing scheme name (`binance_hmac`, ...).
    pub scheme: String,
    /// The API key with all but a few characters masked.
    pub api_key_masked: String,
    /// What the venue reported about the key's permissions (JSON text).
    pub permissions: String,
    /// Symbols this credential may trade (venue-neutral spelling); None = any.
    pub allowed_symbols: Option<Vec<String>>,
    /// Largest notional of a single order; None = no limit.
    pub max_order_notional: Option<Decimal>,
    /// Largest notional traded per UTC day; None = no limit.
    pub max_daily_notional: Option<Decimal>,
    /// Creation time, µs since the epoch.
    pub created_at_us: i64,
    /// The sealed secrets (api key, secret, optional passphrase).
    pub secrets: Vec<SealedRow>,
}

/// A stored credential's public metadata (no secret, sealed or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// Id.
    pub id: CredentialId,
    /// Owning user.
    pub owner_id: UserId,
    /// Venue name.
    pub venue: String,
    /// User's label.
    pub label: String,
    /// Signing scheme name.
    pub scheme: String,
    /// Masked API key.
    pub api_key_masked: String,
    /// Venue-reported permissions (JSON text).
    pub permissions: String,
    /// Symbols it may trade; None = any.
    pub allowed_symbols: Option<Vec<String>>,
    /// Per-order notional limit.
    pub max_order_notional: Option<Decimal>,
    /// Per-day notional limit.
    pub max_daily_notional: Option<Decimal>,
    /// Creation time, µs.
    pub created_at_us: i64,
}

const COLUMNS: &str = "id, owner_id, venue, label, scheme, api_key_masked, permissions, \
                       allowed_symbols, max_order_notional, max_daily_notional, created_at_us";

pub(crate) fn parse_decimal(
    column: &'static str,
    text: Option<String>,
) -> Result<Option<Decimal>, StoreError> {
    text.map(|t| {
        Decimal::from_str(&t).map_err(|e| StoreError::Corrupt {
            column,
            reason: format!("not a decimal: {e}"),
        })
    })
    .transpose()
}

fn from_row(r: &AnyRow) -> Result<CredentialRow, StoreError> {
    let id: String = r.get(0);
    Ok(CredentialRow {
        id: id.parse().map_err(|_| StoreError::Corrupt {
            column: "credentials.id",
            reason: "not a UUID".into(),
        })?,
        owner_id: parse_user_id(&r.get::<String, _>(1))?,
        venue: r.get(2),
        label: r.get(3),
        scheme: r.get(4),
        api_key_masked: r.get(5),
        permissions: r.get(6),
        allowed_symbols: r.get::<Option<String>, _>(7).map(|s| {
            s.split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        }),
        max_order_notional: parse_decimal("credentials.max_order_notional", r.get(8))?,
        max_daily_notional: parse_decimal("credentials.max_daily_notional", r.get(9))?,
        created_at_us: r.get(10),
    })
}

impl Store {
    /// Stores a credential and its sealed secrets in one transaction.
    pub async fn insert_credential(&self, c: &NewCredential) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        sqlx::query(&format!(
            "INSERT INTO credentials ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(c.id.to_string())
        .bind(c.owner_id.to_string())
        .bind(&c.venue)
        .bind(&c.label)
        .bind(&c.scheme)
        .bind(&c.api_key_masked)
        .bind(&c.permissions)
        .bind(c.allowed_symbols.as_ref().map(|s| s.join(",")))
        .bind(c.max_order_notional.map(|d| d.to_string()))
        .bind(c.max_daily_notional.map(|d| d.to_string()))
        .bind(c.created_at_us)
        .execute(&mut *tx)
        .await
        .map_err(query_err("credential"))?;
        for secret in &c.secrets {
            insert_sealed(&mut tx, secret).await?;
        }
        tx.commit().await.map_err(query_err("commit credential"))
    }

    /// One credential's metadata.
    pub async fn credential(&self, id: CredentialId) -> Result<Option<CredentialRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM credentials WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("select credential"))?;
        row.as_ref().map(from_row).transpose()
    }

    /// A user's credentials, oldest first.
    pub async fn credentials_of(&self, owner: UserId) -> Result<Vec<CredentialRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM credentials WHERE owner_id = $1 ORDER BY created_at_us, id"
        ))
        .bind(owner.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select credentials"))?;
        rows.iter().map(from_row).collect()
    }

    /// Deletes a credential of `owner` and its sealed secrets in one transaction.
    /// Returns false when the user has no such credential.
    pub async fn delete_credential(
        &self,
        owner: UserId,
        id: CredentialId,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let done = sqlx::query("DELETE FROM credentials WHERE id = $1 AND owner_id = $2")
            .bind(id.to_string())
            .bind(owner.to_string())
            .execute(&mut *tx)
            .await
            .map_err(query_err("delete credential"))?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sealed_secrets WHERE record_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(query_err("delete sealed secrets"))?;
        tx.commit()
            .await
            .map_err(query_err("commit delete credential"))?;
        Ok(true)
    }
}
