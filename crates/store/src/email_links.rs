//! Emailed links (lockdown, password reset, email-change revert, sign-up verification) and
//! the devices each user's password has been used from.
//!
//! A link is stored only as the digest of its token (the caller computes it); using a link
//! deletes its row, and only one caller can delete a row, so every link works once.

use sqlx::any::AnyRow;
use sqlx::Row;
use tradeward_domain::UserId;

use crate::error::{query_err, StoreError};
use crate::users::parse_user_id;
use crate::Store;

/// A stored emailed link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailLinkRow {
    /// The digest of the link's token (what it is looked up by).
    pub token_hash: Vec<u8>,
    /// Whose link it is; `None` for a pending sign-up.
    pub user_id: Option<UserId>,
    /// What it does: `lockdown`, `password_reset`, `email_revert`, `signup`.
    pub purpose: String,
    /// Purpose-specific data (the old address of an email change; a pending sign-up's
    /// address and password hash). Never a secret in the clear.
    pub payload: Option<String>,
    /// Creation, µs.
    pub created_at_us: i64,
    /// Expiry, µs.
    pub expires_at_us: i64,
}

const LINK_COLUMNS: &str = "token_hash, user_id, purpose, payload, created_at_us, expires_at_us";

fn link_from_row(r: &AnyRow) -> Result<EmailLinkRow, StoreError> {
    let user: Option<String> = r.get(1);
    Ok(EmailLinkRow {
        token_hash: r.get(0),
        user_id: user.as_deref().map(parse_user_id).transpose()?,
        purpose: r.get(2),
        payload: r.get(3),
        created_at_us: r.get(4),
        expires_at_us: r.get(5),
    })
}

impl Store {
    /// Stores a link under the digest of its token.
    pub async fn insert_email_link(&self, link: &EmailLinkRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO email_links ({LINK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(link.token_hash.clone())
        .bind(link.user_id.map(|u| u.to_string()))
        .bind(&link.purpose)
        .bind(link.payload.clone())
        .bind(link.created_at_us)
        .bind(link.expires_at_us)
        .execute(&self.pool)
        .await
        .map_err(query_err("email link"))?;
        Ok(())
    }

    /// The link with this digest (expired ones included: the caller checks).
    pub async fn email_link(&self, token_hash: &[u8]) -> Result<Option<EmailLinkRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {LINK_COLUMNS} FROM email_links WHERE token_hash = $1"
        ))
        .bind(token_hash.to_vec())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("select email link"))?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// Deletes a link; true for exactly one caller, so a link is used once.
    pub async fn take_email_link(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM email_links WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await
            .map_err(query_err("take email link"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes every link of `purpose` of a user (a reset or revert supersedes older ones);
    /// returns how many.
    pub async fn drop_email_links(&self, user: UserId, purpose: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM email_links WHERE user_id = $1 AND purpose = $2")
            .bind(user.to_string())
            .bind(purpose)
            .execute(&self.pool)
            .await
            .map_err(query_err("drop email links"))?;
        Ok(done.rows_affected())
    }

    /// Deletes links that expired before `now_us`; returns how many.
    pub async fn purge_expired_email_links(&self, now_us: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM email_links WHERE expires_at_us <= $1")
            .bind(now_us)
            .execute(&self.pool)
            .await
            .map_err(query_err("purge email links"))?;
        Ok(done.rows_affected())
    }

    /// Records that the user's password was used from this device; true when the device is
    /// new (first time seen), false when it was already known.
    pub async fn note_device(
        &self,
        user: UserId,
        device_hash: &[u8],
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO known_devices (user_id, device_hash, first_seen_at_us) \
             VALUES ($1, $2, $3) ON CONFLICT (user_id, device_hash) DO NOTHING",
        )
        .bind(user.to_string())
        .bind(device_hash.to_vec())
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(query_err("note device"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes a user's login email (stored lower-cased). A taken address is a
    /// `Conflict("user email")`; false when no such user.
    pub async fn set_user_email(&self, user: UserId, email: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email.to_lowercase())
            .bind(user.to_string())
            .execute(&self.pool)
            .await
            .map_err(query_err("user email"))?;
        Ok(done.rows_affected() == 1)
    }
}
