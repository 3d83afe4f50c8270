//! Deployment-wide lockdown (incident response) as one transaction: the global trading switch
//! off, every user forced to set a new password, every session, personal token and login in
//! progress revoked. Either all of it happens or none of it.

use sqlx::Row;

use crate::error::{query_err, StoreError};
use crate::settings::GLOBAL_TRADING_KEY;
use crate::Store;

/// What a lockdown changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockdownCounts {
    /// Whether global trading was on before (false: it was already off).
    pub trading_was_enabled: bool,
    /// Users in the deployment (all must now set a new password).
    pub users: u64,
    /// Of those, users who were not already required to (0 on a repeated lockdown).
    pub users_newly_forced: u64,
    /// Sessions revoked.
    pub sessions_revoked: u64,
    /// Personal API tokens revoked.
    pub tokens_revoked: u64,
    /// Logins in progress (challenges) dropped.
    pub challenges_dropped: u64,
}

impl Store {
    /// Locks the deployment down in one transaction (see the module documentation).
    /// Idempotent: a second call changes nothing and reports zeros beside `users`.
    pub async fn lockdown(&self, now_us: i64) -> Result<LockdownCounts, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let previous: Option<String> = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(GLOBAL_TRADING_KEY)
            .fetch_optional(&mut *tx)
            .await
            .map_err(query_err("select trading switch"))?
            .map(|r| r.get(0));
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at_us) VALUES ($1, 'off', $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_us = excluded.updated_at_us",
        )
        .bind(GLOBAL_TRADING_KEY)
        .bind(now_us)
        .execute(&mut *tx)
        .await
        .map_err(query_err("turn trading off"))?;
        let newly =
            sqlx::query("UPDATE users SET must_change_password = 1 WHERE must_change_password = 0")
                .execute(&mut *tx)
                .await
                .map_err(query_err("force password resets"))?
                .rows_affected();
        let users: i64 = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await
            .map_err(query_err("count users"))?
            .get(0);
        let mut deleted = [0u64; 3];
        for (i, (sql, op)) in [
            ("DELETE FROM sessions", "revoke sessions"),
            ("DELETE FROM api_tokens", "revoke api tokens"),
            ("DELETE FROM login_challenges", "drop login challenges"),
        ]
        .into_iter()
        .enumerate()
        {
            deleted[i] = sqlx::query(sql)
                .execute(&mut *tx)
                .await
                .map_err(query_err(op))?
                .rows_affected();
        }
        tx.commit().await.map_err(query_err("commit lockdown"))?;
        Ok(LockdownCounts {
            trading_was_enabled: previous.as_deref() != Some("off"),
            users: u64::try_from(users).unwrap_or(0),
            users_newly_forced: newly,
            sessions_revoked: deleted[0],
            tokens_revoked: deleted[1],
            challenges_dropped: deleted[2],
        })
    }
}
