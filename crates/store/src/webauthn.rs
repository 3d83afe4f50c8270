//! WebAuthn credentials (passkeys, security keys) and ceremonies in progress.
//!
//! A credential row holds only public data: the authenticator's credential id, the public key
//! (inside the serialised passkey) and the signature counter. The counter moves by
//! compare-and-set, so of two assertions carrying the same counter (a cloned authenticator, or
//! a replay racing the original) at most one is accepted. A ceremony's state (its challenge)
//! is kept here rather than with the client and is taken, not read, when answered: each
//! challenge gets one answer.

use sqlx::any::AnyRow;
use sqlx::Row;
use tradeward_domain::UserId;

use crate::error::{query_err, StoreError};
use crate::users::parse_user_id;
use crate::Store;

/// A registered WebAuthn credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnCredentialRow {
    /// Tradeward's id for it (shown in lists, used to remove it).
    pub id: String,
    /// Its owner.
    pub user_id: UserId,
    /// The authenticator's credential id (unique across all users).
    pub credential_id: Vec<u8>,
    /// The user's name for it ("YubiKey", "laptop").
    pub name: String,
    /// The verifier's serialised credential (public key, counter, flags), JSON.
    pub passkey: String,
    /// The last accepted signature counter.
    pub sign_count: i64,
    /// Registration time, µs.
    pub created_at_us: i64,
    /// Last successful use, µs.
    pub last_used_at_us: Option<i64>,
}

/// A ceremony taken from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnCeremonyRow {
    /// Whose ceremony it is.
    pub user_id: UserId,
    /// The verifier's serialised state, JSON.
    pub state: String,
    /// Expiry, µs.
    pub expires_at_us: i64,
}

const COLUMNS: &str =
    "id, user_id, credential_id, name, passkey, sign_count, created_at_us, last_used_at_us";

fn credential_from_row(r: &AnyRow) -> Result<WebauthnCredentialRow, StoreError> {
    Ok(WebauthnCredentialRow {
        id: r.get(0),
        user_id: parse_user_id(&r.get::<String, _>(1))?,
        credential_id: r.get(2),
        name: r.get(3),
        passkey: r.get(4),
        sign_count: r.get(5),
        created_at_us: r.get(6),
        last_used_at_us: r.get(7),
    })
}

impl Store {
    /// Stores a new credential. `Conflict` when its credential id is already registered (to
    /// anyone: one authenticator credential belongs to one account).
    pub async fn insert_webauthn_credential(
        &self,
        row: &WebauthnCredentialRow,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO webauthn_credentials ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(row.id.clone())
        .bind(row.user_id.to_string())
        .bind(row.credential_id.clone())
        .bind(row.name.clone())
        .bind(row.passkey.clone())
        .bind(row.sign_count)
        .bind(row.created_at_us)
        .bind(row.last_used_at_us)
        .execute(&self.pool)
        .await
        .map_err(query_err("webauthn credential"))?;
        Ok(())
    }

    /// A user's credentials, oldest first.
    pub async fn webauthn_credentials(
        &self,
        user: UserId,
    ) -> Result<Vec<WebauthnCredentialRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webauthn_credentials WHERE user_id = $1 \
             ORDER BY created_at_us, id"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select webauthn credentials"))?;
        rows.iter().map(credential_from_row).collect()
    }

    /// Whether the user has at least one credential.
    pub async fn has_webauthn_credential(&self, user: UserId) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM webauthn_credentials WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(query_err("count webauthn credentials"))?
            .get(0);
        Ok(n > 0)
    }

    /// Records a successful assertion: the new counter and serialised credential, only if the
    /// stored counter is still `expected_count` (false otherwise: someone else moved it).
    pub async fn record_webauthn_use(
        &self,
        id: &str,
        expected_count: i64,
        new_count: i64,
        passkey: &str,
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webauthn_credentials SET sign_count = $1, passkey = $2, last_used_at_us = $3 \
             WHERE id = $4 AND sign_count = $5",
        )
        .bind(new_count)
        .bind(passkey.to_owned())
        .bind(now_us)
        .bind(id.to_owned())
        .bind(expected_count)
        .execute(&self.pool)
        .await
        .map_err(query_err("record webauthn use"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes one of the user's credentials; false when it is not theirs or not there.
    pub async fn delete_webauthn_credential(
        &self,
        user: UserId,
        id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webauthn_credentials WHERE id = $1 AND user_id = $2")
            .bind(id.to_owned())
            .bind(user.to_string())
            .execute(&self.pool)
            .await
            .map_err(query_err("delete webauthn credential"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Starts (or restarts) a ceremony under `key`, replacing any earlier one with that key.
    /// The user's expired ceremonies (begun, never answered) are dropped first, so abandoned
    /// ones do not pile up. `now_us` is the caller's clock.
    pub async fn put_webauthn_ceremony(
        &self,
        key: &str,
        user: UserId,
        state: &str,
        now_us: i64,
        expires_at_us: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM webauthn_ceremonies WHERE user_id = $1 AND expires_at_us <= $2")
            .bind(user.to_string())
            .bind(now_us)
            .execute(&self.pool)
            .await
            .map_err(query_err("purge webauthn ceremonies"))?;
        sqlx::query(
            "INSERT INTO webauthn_ceremonies (ceremony_key, user_id, state, expires_at_us) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (ceremony_key) DO UPDATE SET \
             user_id = excluded.user_id, state = excluded.state, \
             expires_at_us = excluded.expires_at_us",
        )
        .bind(key.to_owned())
        .bind(user.to_string())
        .bind(state.to_owned())
        .bind(expires_at_us)
        .execute(&self.pool)
        .await
        .map_err(query_err("webauthn ceremony"))?;
        Ok(())
    }

    /// Takes (deletes and returns) the ceremony under `key`, expired or not (the caller
    /// checks the time). Of two racing takers only one gets it.
    pub async fn take_webauthn_ceremony(
        &self,
        key: &str,
    ) -> Result<Option<WebauthnCeremonyRow>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM webauthn_ceremonies WHERE ceremony_key = $1 \
             RETURNING user_id, state, expires_at_us",
        )
        .bind(key.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("take webauthn ceremony"))?;
        row.map(|r| {
            Ok(WebauthnCeremonyRow {
                user_id: parse_user_id(&r.get::<String, _>(0))?,
                state: r.get(1),
                expires_at_us: r.get(2),
            })
        })
        .transpose()
    }
}
