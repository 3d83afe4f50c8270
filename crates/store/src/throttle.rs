//! Failed-login counters for throttling, keyed by account and by source address.
//!
//! The store only counts; the policy (how long to wait after how many failures) is the auth
//! crate's. Counts decay: a failure after a quiet period restarts the count at one, so no key
//! is ever locked for good.

use sqlx::Row;

use crate::error::{query_err, StoreError};
use crate::Store;

/// One key's failure count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRow {
    /// `account:<email>` or `addr:<address>`.
    pub key: String,
    /// Failures counted since the count last restarted.
    pub failures: i64,
    /// The latest failure, µs.
    pub last_failure_at_us: i64,
}

impl Store {
    /// The counts of these keys (absent keys have none).
    pub async fn throttle_rows(&self, keys: &[String]) -> Result<Vec<ThrottleRow>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let row = sqlx::query(
                "SELECT key, failures, last_failure_at_us FROM login_throttle WHERE key = $1",
            )
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("select throttle"))?;
            if let Some(r) = row {
                out.push(ThrottleRow {
                    key: r.get(0),
                    failures: r.get(1),
                    last_failure_at_us: r.get(2),
                });
            }
        }
        Ok(out)
    }

    /// Counts a failure for `key` at `now_us`, atomically. A count whose latest failure is
    /// older than `forget_before_us` restarts at one. Returns the new count.
    pub async fn record_login_failure(
        &self,
        key: &str,
        now_us: i64,
        forget_before_us: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO login_throttle (key, failures, last_failure_at_us) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_throttle.last_failure_at_us < $3 THEN 1 \
                               ELSE login_throttle.failures + 1 END, \
               last_failure_at_us = $2 \
             RETURNING failures",
        )
        .bind(key)
        .bind(now_us)
        .bind(forget_before_us)
        .fetch_one(&self.pool)
        .await
        .map_err(query_err("record login failure"))?;
        Ok(row.get(0))
    }

    /// Forgets a key's failures (after a successful login).
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(query_err("clear login failures"))?;
        Ok(())
    }
}
