//! Per-credential daily notional accounting, checked and added atomically.
//!
//! A compare-and-set loop (rather than a read-then-write transaction) keeps this correct on
//! both backends when several signers race: a write only lands if the total it read is still
//! the stored one.

use rust_decimal::Decimal;
use sqlx::Row;
use tradeward_domain::CredentialId;

use crate::credentials::parse_decimal;
use crate::error::{query_err, StoreError};
use crate::Store;

/// The result of trying to add an order's notional to today's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyNotionalOutcome {
    /// Added; the new total for the day.
    Added(Decimal),
    /// Refused: adding would exceed the limit. Nothing was written. Holds today's total so far.
    WouldExceed(Decimal),
}

impl Store {
    /// Adds `amount` to the credential's total for `day` (`YYYY-MM-DD`, UTC) unless the result
    /// would exceed `limit`.
    pub async fn add_daily_notional(
        &self,
        credential: CredentialId,
        day: &str,
        amount: Decimal,
        limit: Decimal,
    ) -> Result<DailyNotionalOutcome, StoreError> {
        let id = credential.to_string();
        // Bounded: each retry means another writer made progress; 64 is far beyond any real race.
        for _ in 0..64 {
            let current: Option<String> = sqlx::query(
                "SELECT notional FROM credential_daily_notional WHERE credential_id = $1 AND day = $2",
            )
            .bind(&id)
            .bind(day)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("select daily notional"))?
            .map(|r| r.get(0));
            let used = parse_decimal("credential_daily_notional.notional", current.clone())?
                .unwrap_or(Decimal::ZERO);
            let total = used + amount;
            if total > limit {
                return Ok(DailyNotionalOutcome::WouldExceed(used));
            }
            let done = match &current {
                None => sqlx::query(
                    "INSERT INTO credential_daily_notional (credential_id, day, notional) \
                     VALUES ($1, $2, $3) ON CONFLICT (credential_id, day) DO NOTHING",
                )
                .bind(&id)
                .bind(day)
                .bind(total.to_string())
                .execute(&self.pool)
                .await
                .map_err(query_err("insert daily notional"))?,
                Some(old) => sqlx::query(
                    "UPDATE credential_daily_notional SET notional = $1 \
                     WHERE credential_id = $2 AND day = $3 AND notional = $4",
                )
                .bind(total.to_string())
                .bind(&id)
                .bind(day)
                .bind(old)
                .execute(&self.pool)
                .await
                .map_err(query_err("update daily notional"))?,
            };
            if done.rows_affected() == 1 {
                return Ok(DailyNotionalOutcome::Added(total));
            }
        }
        Err(StoreError::Corrupt {
            column: "credential_daily_notional",
            reason: "too much contention updating the daily total".into(),
        })
    }
}
