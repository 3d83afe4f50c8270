//! Deployment-wide settings kept in the database (the global trading switch, ...).

use sqlx::Row;

use crate::error::{query_err, StoreError};
use crate::Store;

/// The key of the global trading switch: `"on"` or `"off"` (absent means on).
pub const GLOBAL_TRADING_KEY: &str = "trading.global";

impl Store {
    /// Reads a setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("select setting"))?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Writes a setting (insert or replace).
    pub async fn set_setting(&self, key: &str, value: &str, now_us: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at_us) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_us = excluded.updated_at_us",
        )
        .bind(key)
        .bind(value)
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(query_err("upsert setting"))?;
        Ok(())
    }

    /// Whether trading is enabled deployment-wide.
    pub async fn global_trading_enabled(&self) -> Result<bool, StoreError> {
        Ok(self.setting(GLOBAL_TRADING_KEY).await?.as_deref() != Some("off"))
    }

    /// Turns the global trading switch on or off.
    pub async fn set_global_trading(&self, enabled: bool, now_us: i64) -> Result<(), StoreError> {
        self.set_setting(
            GLOBAL_TRADING_KEY,
            if enabled { "on" } else { "off" },
            now_us,
        )
        .await
    }
}
