//! Users: the minimum the foundation needs (identity, role, per-user trading switch).
//! Authentication data (password hashes, factors, sessions) joins in the accounts migration.

use sqlx::Row;
use tradeward_domain::UserId;

use crate::error::{query_err, StoreError};
use crate::Store;

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The login email, stored lower-cased.
    pub email: String,
    /// `user` or `admin`.
    pub role: String,
    /// Creation time, µs since the epoch.
    pub created_at_us: i64,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// The user's id.
    pub id: UserId,
    /// Login email.
    pub email: String,
    /// `user` or `admin`.
    pub role: String,
    /// The per-user trading switch.
    pub trading_enabled: bool,
}

pub(crate) fn parse_user_id(text: &str) -> Result<UserId, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt {
        column: "users.id",
        reason: "not a UUID".into(),
    })
}

impl Store {
    /// Creates a user; a taken email is a `Conflict`.
    pub async fn create_user(&self, user: &NewUser) -> Result<UserId, StoreError> {
        let id = UserId::new();
        sqlx::query("INSERT INTO users (id, email, role, created_at_us) VALUES ($1, $2, $3, $4)")
            .bind(id.to_string())
            .bind(user.email.to_lowercase())
            .bind(&user.role)
            .bind(user.created_at_us)
            .execute(&self.pool)
            .await
            .map_err(query_err("user"))?;
        Ok(id)
    }

    /// Looks a user up by id.
    pub async fn user(&self, id: UserId) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query("SELECT id, email, role, trading_enabled FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("select user"))?;
        row.map(|r| {
            Ok(UserRow {
                id: parse_user_id(&r.get::<String, _>(0))?,
                email: r.get(1),
                role: r.get(2),
                trading_enabled: r.get::<i64, _>(3) != 0,
            })
        })
        .transpose()
    }

    /// Sets the per-user trading switch. Returns false when no such user exists.
    pub async fn set_user_trading(&self, id: UserId, enabled: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET trading_enabled = $1 WHERE id = $2")
            .bind(i64::from(enabled))
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(query_err("update user trading"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets the trading switch of every user at once (lockdown); returns how many changed.
    pub async fn set_all_users_trading(&self, enabled: bool) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE users SET trading_enabled = $1 WHERE trading_enabled <> $1")
            .bind(i64::from(enabled))
            .execute(&self.pool)
            .await
            .map_err(query_err("update all users trading"))?;
        Ok(done.rows_affected())
    }
}
