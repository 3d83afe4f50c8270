//! Accounts: the authentication columns of `users` (password hash, forced change), TOTP
//! factors and recovery codes.
//!
//! Free of cryptography: the caller hands in argon2id PHC strings, SHA-256 digests and sealed
//! seeds, and gets them back. Every "use once" rule (a TOTP time step, a recovery code) is one
//! conditional UPDATE, so two racing requests can never both succeed.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use tradeward_domain::UserId;

use crate::error::{query_err, StoreError};
use crate::secrets::{insert_sealed, SealedRow};
use crate::users::parse_user_id;
use crate::Store;

/// A user as the login flow sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// The user's id.
    pub id: UserId,
    /// Login email, lower case.
    pub email: String,
    /// `user` or `admin`.
    pub role: String,
    /// The per-user trading switch.
    pub trading_enabled: bool,
    /// argon2id PHC string; `None` until the user has set a password.
    pub password_hash: Option<String>,
    /// The next login completes only after a new password.
    pub must_change_password: bool,
    /// Creation time, µs.
    pub created_at_us: i64,
}

impl std::fmt::Debug for AccountRow {
    // The hash is not a secret in the clear, but an offline guessing attack needs nothing
    // else: keep it out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRow")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("trading_enabled", &self.trading_enabled)
            .field("has_password", &self.password_hash.is_some())
            .field("must_change_password", &self.must_change_password)
            .finish()
    }
}

/// An account to create.
#[derive(Clone)]
pub struct NewAccount {
    /// The login email (stored lower case).
    pub email: String,
    /// `user` or `admin`.
    pub role: String,
    /// argon2id PHC string, or `None` for an account completed through a setup link.
    pub password_hash: Option<String>,
    /// Creation time, µs.
    pub created_at_us: i64,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("email", &self.email)
            .field("role", &self.role)
            .field("has_password", &self.password_hash.is_some())
            .finish()
    }
}

/// A TOTP factor (its seed is the sealed secret with `record_id = id`, field `totp_seed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactorRow {
    /// The factor's id (also the seal context's record id).
    pub id: String,
    /// Its owner.
    pub user_id: UserId,
    /// Whether enrolment was confirmed with a valid code.
    pub confirmed: bool,
    /// The last accepted time step (`-1`: none yet).
    pub last_used_step: i64,
    /// Creation time, µs.
    pub created_at_us: i64,
}

const ACCOUNT_COLUMNS: &str =
    "id, email, role, trading_enabled, password_hash, must_change_password, created_at_us";

fn account_from_row(r: &AnyRow) -> Result<AccountRow, StoreError> {
    Ok(AccountRow {
        id: parse_user_id(&r.get::<String, _>(0))?,
        email: r.get(1),
        role: r.get(2),
        trading_enabled: r.get::<i64, _>(3) != 0,
        password_hash: r.get(4),
        must_change_password: r.get::<i64, _>(5) != 0,
        created_at_us: r.get(6),
    })
}

fn totp_from_row(r: &AnyRow) -> Result<TotpFactorRow, StoreError> {
    Ok(TotpFactorRow {
        id: r.get(0),
        user_id: parse_user_id(&r.get::<String, _>(1))?,
        confirmed: r.get::<i64, _>(2) != 0,
        last_used_step: r.get(3),
        created_at_us: r.get(4),
    })
}

const TOTP_COLUMNS: &str = "id, user_id, confirmed, last_used_step, created_at_us";

async fn delete_factor(tx: &mut Transaction<'_, Any>, factor_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sealed_secrets WHERE record_id = $1")
        .bind(factor_id)
        .execute(&mut **tx)
        .await
        .map_err(query_err("delete totp seed"))?;
    sqlx::query("DELETE FROM totp_factors WHERE id = $1")
        .bind(factor_id)
        .execute(&mut **tx)
        .await
        .map_err(query_err("delete totp factor"))?;
    Ok(())
}

async fn revoke_all_credentials_of(
    tx: &mut Transaction<'_, Any>,
    user: Option<&str>,
) -> Result<u64, StoreError> {
    let (sessions, tokens, challenges) = match user {
        Some(_) => (
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM api_tokens WHERE user_id = $1",
            "DELETE FROM login_challenges WHERE user_id = $1",
        ),
        None => (
            "DELETE FROM sessions",
            "DELETE FROM api_tokens",
            "DELETE FROM login_challenges",
        ),
    };
    let mut revoked = 0;
    for (sql, op) in [
        (sessions, "revoke sessions"),
        (tokens, "revoke api tokens"),
        (challenges, "drop login challenges"),
    ] {
        let mut q = sqlx::query(sql);
        if let Some(u) = user {
            q = q.bind(u);
        }
        let done = q.execute(&mut **tx).await.map_err(query_err(op))?;
        if op == "revoke sessions" {
            revoked = done.rows_affected();
        }
    }
    Ok(revoked)
}

impl Store {
    /// Creates an account; a taken email is a `Conflict("user")`.
    pub async fn create_account(&self, account: &NewAccount) -> Result<UserId, StoreError> {
        let id = UserId::new();
        sqlx::query(
            "INSERT INTO users (id, email, role, created_at_us, password_hash, password_changed_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(account.email.to_lowercase())
        .bind(&account.role)
        .bind(account.created_at_us)
        .bind(account.password_hash.clone())
        .bind(account.password_hash.as_ref().map(|_| account.created_at_us))
        .execute(&self.pool)
        .await
        .map_err(query_err("user"))?;
        Ok(id)
    }

    /// The account with this email (compared lower case).
    pub async fn account_by_email(&self, email: &str) -> Result<Option<AccountRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users WHERE email = $1"
        ))
        .bind(email.to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("select account"))?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// The account with this id.
    pub async fn account(&self, id: UserId) -> Result<Option<AccountRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("select account"))?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// Sets a new password hash and clears the forced-change flag. False when no such user.
    pub async fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 0, \
             password_changed_at_us = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(now_us)
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(query_err("set password"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces the hash only if it is still `old_hash` (re-hashing at login under new
    /// parameters must not overwrite a password changed meanwhile). Returns whether it changed.
    pub async fn rehash_password(
        &self,
        id: UserId,
        old_hash: &str,
        new_hash: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
                .bind(new_hash)
                .bind(id.to_string())
                .bind(old_hash)
                .execute(&self.pool)
                .await
                .map_err(query_err("rehash password"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes a user's role and revokes their sessions and tokens (a privilege change must
    /// start from a fresh login). False when no such user.
    pub async fn set_user_role(&self, id: UserId, role: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(query_err("set role"))?;
        revoke_all_credentials_of(&mut tx, Some(&id.to_string())).await?;
        tx.commit().await.map_err(query_err("commit role"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Forces one user to choose a new password at next login and revokes every session,
    /// personal token and login in progress of theirs, atomically. Returns the number of
    /// sessions revoked, or `NotFound("user")`.
    pub async fn force_password_reset(&self, id: UserId) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let done = sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(query_err("force password reset"))?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound("user"));
        }
        let revoked = revoke_all_credentials_of(&mut tx, Some(&id.to_string())).await?;
        tx.commit().await.map_err(query_err("commit reset"))?;
        Ok(revoked)
    }

    /// [`Store::force_password_reset`] for every user at once. Returns (users flagged,
    /// sessions revoked).
    pub async fn force_password_reset_all(&self) -> Result<(u64, u64), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let done = sqlx::query("UPDATE users SET must_change_password = 1")
            .execute(&mut *tx)
            .await
            .map_err(query_err("force password reset"))?;
        let revoked = revoke_all_credentials_of(&mut tx, None).await?;
        tx.commit().await.map_err(query_err("commit reset"))?;
        Ok((done.rows_affected(), revoked))
    }

    /// Stores a new, unconfirmed TOTP factor with its sealed seed, replacing any earlier
    /// unconfirmed one of the same user. A confirmed factor stays in force until the new one
    /// is confirmed.
    pub async fn insert_pending_totp(
        &self,
        factor: &TotpFactorRow,
        seed: &SealedRow,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let old: Vec<String> =
            sqlx::query("SELECT id FROM totp_factors WHERE user_id = $1 AND confirmed = 0")
                .bind(factor.user_id.to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(query_err("select pending totp"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
        for id in old {
            delete_factor(&mut tx, &id).await?;
        }
        sqlx::query(&format!(
            "INSERT INTO totp_factors ({TOTP_COLUMNS}) VALUES ($1, $2, 0, -1, $3)"
        ))
        .bind(&factor.id)
        .bind(factor.user_id.to_string())
        .bind(factor.created_at_us)
        .execute(&mut *tx)
        .await
        .map_err(query_err("totp factor"))?;
        insert_sealed(&mut tx, seed).await?;
        tx.commit().await.map_err(query_err("commit totp factor"))
    }

    /// The user's confirmed (`confirmed = true`) or pending TOTP factor.
    pub async fn totp_factor(
        &self,
        user: UserId,
        confirmed: bool,
    ) -> Result<Option<TotpFactorRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOTP_COLUMNS} FROM totp_factors WHERE user_id = $1 AND confirmed = $2"
        ))
        .bind(user.to_string())
        .bind(i64::from(confirmed))
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("select totp factor"))?;
        row.as_ref().map(totp_from_row).transpose()
    }

    /// Confirms a pending factor at time step `step`, atomically: the previous confirmed
    /// factor (and its seed) goes, the user's recovery codes are replaced by `recovery_hashes`.
    /// False when the pending factor no longer exists.
    pub async fn confirm_totp(
        &self,
        user: UserId,
        factor_id: &str,
        step: i64,
        recovery_hashes: &[Vec<u8>],
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let old: Vec<String> =
            sqlx::query("SELECT id FROM totp_factors WHERE user_id = $1 AND confirmed = 1")
                .bind(user.to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(query_err("select totp factor"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
        for id in old {
            delete_factor(&mut tx, &id).await?;
        }
        let done = sqlx::query(
            "UPDATE totp_factors SET confirmed = 1, last_used_step = $1 \
             WHERE id = $2 AND user_id = $3 AND confirmed = 0",
        )
        .bind(step)
        .bind(factor_id)
        .bind(user.to_string())
        .execute(&mut *tx)
        .await
        .map_err(query_err("confirm totp"))?;
        if done.rows_affected() != 1 {
            // Dropping the transaction rolls back the deletion above.
            return Ok(false);
        }
        replace_recovery(&mut tx, user, recovery_hashes, now_us).await?;
        tx.commit()
            .await
            .map_err(query_err("commit totp confirm"))?;
        Ok(true)
    }

    /// Records that time step `step` was used, only if it is later than every step used
    /// before. False means a replay (or a stale factor id): refuse the code.
    pub async fn advance_totp_step(&self, factor_id: &str, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE totp_factors SET last_used_step = $1 \
             WHERE id = $2 AND confirmed = 1 AND last_used_step < $1",
        )
        .bind(step)
        .bind(factor_id)
        .execute(&self.pool)
        .await
        .map_err(query_err("advance totp step"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes every TOTP factor, seed and recovery code of a user. Returns whether a
    /// confirmed factor existed.
    pub async fn delete_totp(&self, user: UserId) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let rows = sqlx::query("SELECT id, confirmed FROM totp_factors WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_all(&mut *tx)
            .await
            .map_err(query_err("select totp factors"))?;
        let had_confirmed = rows.iter().any(|r| r.get::<i64, _>(1) != 0);
        for r in &rows {
            delete_factor(&mut tx, &r.get::<String, _>(0)).await?;
        }
        replace_recovery(&mut tx, user, &[], 0).await?;
        tx.commit().await.map_err(query_err("commit totp delete"))?;
        Ok(had_confirmed)
    }

    /// Replaces the user's recovery codes with new digests.
    pub async fn replace_recovery_codes(
        &self,
        user: UserId,
        hashes: &[Vec<u8>],
        now_us: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        replace_recovery(&mut tx, user, hashes, now_us).await?;
        tx.commit()
            .await
            .map_err(query_err("commit recovery codes"))
    }

    /// Marks the code with this digest used, if it exists and is unused. True exactly once.
    pub async fn consume_recovery_code(
        &self,
        user: UserId,
        hash: &[u8],
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at_us = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at_us IS NULL",
        )
        .bind(now_us)
        .bind(user.to_string())
        .bind(hash)
        .execute(&self.pool)
        .await
        .map_err(query_err("consume recovery code"))?;
        Ok(done.rows_affected() == 1)
    }

    /// How many unused recovery codes the user has left.
    pub async fn unused_recovery_codes(&self, user: UserId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at_us IS NULL",
        )
        .bind(user.to_string())
        .fetch_one(&self.pool)
        .await
        .map_err(query_err("count recovery codes"))?;
        Ok(row.get(0))
    }
}

async fn replace_recovery(
    tx: &mut Transaction<'_, Any>,
    user: UserId,
    hashes: &[Vec<u8>],
    now_us: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user.to_string())
        .execute(&mut **tx)
        .await
        .map_err(query_err("delete recovery codes"))?;
    for hash in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at_us) VALUES ($1, $2, $3)",
        )
        .bind(user.to_string())
        .bind(hash.as_slice())
        .bind(now_us)
        .execute(&mut **tx)
        .await
        .map_err(query_err("recovery code"))?;
    }
    Ok(())
}
