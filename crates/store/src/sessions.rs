//! Sessions, personal API tokens and logins in progress (challenges).
//!
//! Every token is looked up by its SHA-256 digest: the database never holds a value that
//! could be presented back to the server (threat S1). Revocation deletes the row, so a revoked
//! token cannot come back. The caller supplies every time and decides every timeout.

use sqlx::any::AnyRow;
use sqlx::Row;
use tradeward_domain::{SessionId, UserId};

use crate::error::{query_err, StoreError};
use crate::users::parse_user_id;
use crate::Store;

/// A browser session (without its token, which is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The session's id (public: shown in session lists, used to revoke).
    pub id: SessionId,
    /// Its user.
    pub user_id: UserId,
    /// Creation, µs.
    pub created_at_us: i64,
    /// Last request seen, µs (for the idle timeout).
    pub last_seen_at_us: i64,
    /// Last full authentication (password and second factor), µs (for step-up).
    pub authenticated_at_us: i64,
    /// Absolute deadline, µs.
    pub expires_at_us: i64,
    /// The address the login came from.
    pub source_addr: Option<String>,
    /// The login's User-Agent.
    pub user_agent: Option<String>,
}

/// A personal API token (without the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    /// The token's id (shown, used to revoke).
    pub id: SessionId,
    /// Its user.
    pub user_id: UserId,
    /// The user's name for it.
    pub name: String,
    /// Comma-separated scopes (`read`, `trade`).
    pub scopes: String,
    /// Creation, µs.
    pub created_at_us: i64,
    /// Expiry, µs.
    pub expires_at_us: i64,
    /// Last use, µs.
    pub last_used_at_us: Option<i64>,
}

/// A login in progress: what is left to do before it becomes a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRow {
    /// The user logging in.
    pub user_id: UserId,
    /// What the challenge answers: `second_factor`, `password_change`, `enrollment`.
    pub stage: String,
    /// Whether the second factor (or its absence, by policy) is settled.
    pub factor_done: bool,
    /// Wrong answers so far.
    pub attempts: i64,
    /// Creation, µs.
    pub created_at_us: i64,
    /// Expiry, µs.
    pub expires_at_us: i64,
    /// The address the login came from.
    pub source_addr: Option<String>,
}

fn parse_session_id(text: &str, column: &'static str) -> Result<SessionId, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt {
        column,
        reason: "not a UUID".into(),
    })
}

const SESSION_COLUMNS: &str = "id, user_id, created_at_us, last_seen_at_us, \
     authenticated_at_us, expires_at_us, source_addr, user_agent";

fn session_from_row(r: &AnyRow) -> Result<SessionRow, StoreError> {
    Ok(SessionRow {
        id: parse_session_id(&r.get::<String, _>(0), "sessions.id")?,
        user_id: parse_user_id(&r.get::<String, _>(1))?,
        created_at_us: r.get(2),
        last_seen_at_us: r.get(3),
        authenticated_at_us: r.get(4),
        expires_at_us: r.get(5),
        source_addr: r.get(6),
        user_agent: r.get(7),
    })
}

const TOKEN_COLUMNS: &str =
    "id, user_id, name, scopes, created_at_us, expires_at_us, last_used_at_us";

fn token_from_row(r: &AnyRow) -> Result<ApiTokenRow, StoreError> {
    Ok(ApiTokenRow {
        id: parse_session_id(&r.get::<String, _>(0), "api_tokens.id")?,
        user_id: parse_user_id(&r.get::<String, _>(1))?,
        name: r.get(2),
        scopes: r.get(3),
        created_at_us: r.get(4),
        expires_at_us: r.get(5),
        last_used_at_us: r.get(6),
    })
}

const CHALLENGE_COLUMNS: &str =
    "user_id, stage, factor_done, attempts, created_at_us, expires_at_us, source_addr";

fn challenge_from_row(r: &AnyRow) -> Result<ChallengeRow, StoreError> {
    Ok(ChallengeRow {
        user_id: parse_user_id(&r.get::<String, _>(0))?,
        stage: r.get(1),
        factor_done: r.get::<i64, _>(2) != 0,
        attempts: r.get(3),
        created_at_us: r.get(4),
        expires_at_us: r.get(5),
        source_addr: r.get(6),
    })
}

impl Store {
    /// Stores a new session under the digest of its token.
    pub async fn insert_session(
        &self,
        session: &SessionRow,
        token_hash: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}, token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(session.id.to_string())
        .bind(session.user_id.to_string())
        .bind(session.created_at_us)
        .bind(session.last_seen_at_us)
        .bind(session.authenticated_at_us)
        .bind(session.expires_at_us)
        .bind(session.source_addr.clone())
        .bind(session.user_agent.clone())
        .bind(token_hash.to_vec())
        .execute(&self.pool)
        .await
        .map_err(query_err("session"))?;
        Ok(())
    }

    /// The session whose token has this digest.
    pub async fn session_by_token_hash(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"
        ))
        .bind(token_hash.to_vec())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("select session"))?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Records activity on a session (idle timeout restarts).
    pub async fn touch_session(&self, id: SessionId, now_us: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE sessions SET last_seen_at_us = $1 WHERE id = $2")
            .bind(now_us)
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(query_err("touch session"))?;
        Ok(done.rows_affected() == 1)
    }

    /// After a step-up re-authentication: a new token digest and a fresh `authenticated_at`.
    pub async fn reauthenticate_session(
        &self,
        id: SessionId,
        new_token_hash: &[u8],
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sessions SET token_hash = $1, authenticated_at_us = $2, last_seen_at_us = $2 \
             WHERE id = $3",
        )
        .bind(new_token_hash.to_vec())
        .bind(now_us)
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(query_err("reauthenticate session"))?;
        Ok(done.rows_affected() == 1)
    }

    /// A user's sessions, newest first.
    pub async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at_us DESC, id DESC"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select sessions"))?;
        rows.iter().map(session_from_row).collect()
    }

    /// Deletes one session of a user. False when it does not exist or is someone else's.
    pub async fn delete_session(&self, user: UserId, id: SessionId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(&self.pool)
            .await
            .map_err(query_err("delete session"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes every session of a user, except `keep` when given. Returns how many went.
    pub async fn delete_user_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user.to_string())
            .bind(keep.map(|k| k.to_string()).unwrap_or_default())
            .execute(&self.pool)
            .await
            .map_err(query_err("delete sessions"))?;
        Ok(done.rows_affected())
    }

    /// Deletes every session of every user (lockdown). Returns how many went.
    pub async fn delete_all_sessions(&self) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions")
            .execute(&self.pool)
            .await
            .map_err(query_err("delete all sessions"))?;
        Ok(done.rows_affected())
    }

    /// Deletes sessions past their absolute deadline or idle since before `idle_before_us`,
    /// and expired challenges and tokens (housekeeping; validation checks deadlines anyway).
    pub async fn purge_expired_sessions(
        &self,
        now_us: i64,
        idle_before_us: i64,
    ) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE expires_at_us <= $1 OR last_seen_at_us < $2")
                .bind(now_us)
                .bind(idle_before_us)
                .execute(&self.pool)
                .await
                .map_err(query_err("purge sessions"))?;
        for (sql, op) in [
            (
                "DELETE FROM login_challenges WHERE expires_at_us <= $1",
                "purge challenges",
            ),
            (
                "DELETE FROM api_tokens WHERE expires_at_us <= $1",
                "purge api tokens",
            ),
        ] {
            sqlx::query(sql)
                .bind(now_us)
                .execute(&self.pool)
                .await
                .map_err(query_err(op))?;
        }
        Ok(done.rows_affected())
    }

    /// Stores a personal API token under the digest of its value.
    pub async fn insert_api_token(
        &self,
        token: &ApiTokenRow,
        token_hash: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO api_tokens ({TOKEN_COLUMNS}, token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(token.id.to_string())
        .bind(token.user_id.to_string())
        .bind(&token.name)
        .bind(&token.scopes)
        .bind(token.created_at_us)
        .bind(token.expires_at_us)
        .bind(token.last_used_at_us)
        .bind(token_hash.to_vec())
        .execute(&self.pool)
        .await
        .map_err(query_err("api token"))?;
        Ok(())
    }

    /// The API token with this digest, marking it used at `now_us`.
    pub async fn use_api_token(
        &self,
        token_hash: &[u8],
        now_us: i64,
    ) -> Result<Option<ApiTokenRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1"
        ))
        .bind(token_hash.to_vec())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("select api token"))?;
        let Some(token) = row.as_ref().map(token_from_row).transpose()? else {
            return Ok(None);
        };
        sqlx::query("UPDATE api_tokens SET last_used_at_us = $1 WHERE id = $2")
            .bind(now_us)
            .bind(token.id.to_string())
            .execute(&self.pool)
            .await
            .map_err(query_err("touch api token"))?;
        Ok(Some(token))
    }

    /// A user's API tokens, newest first.
    pub async fn user_api_tokens(&self, user: UserId) -> Result<Vec<ApiTokenRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at_us DESC, id DESC"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select api tokens"))?;
        rows.iter().map(token_from_row).collect()
    }

    /// Deletes one API token of a user. False when it does not exist or is someone else's.
    pub async fn delete_api_token(&self, user: UserId, id: SessionId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(&self.pool)
            .await
            .map_err(query_err("delete api token"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores a login challenge under the digest of its token.
    pub async fn insert_challenge(
        &self,
        challenge: &ChallengeRow,
        token_hash: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO login_challenges ({CHALLENGE_COLUMNS}, token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(challenge.user_id.to_string())
        .bind(&challenge.stage)
        .bind(i64::from(challenge.factor_done))
        .bind(challenge.attempts)
        .bind(challenge.created_at_us)
        .bind(challenge.expires_at_us)
        .bind(challenge.source_addr.clone())
        .bind(token_hash.to_vec())
        .execute(&self.pool)
        .await
        .map_err(query_err("login challenge"))?;
        Ok(())
    }

    /// The challenge with this digest (expired ones included: the caller checks).
    pub async fn challenge(&self, token_hash: &[u8]) -> Result<Option<ChallengeRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CHALLENGE_COLUMNS} FROM login_challenges WHERE token_hash = $1"
        ))
        .bind(token_hash.to_vec())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("select challenge"))?;
        row.as_ref().map(challenge_from_row).transpose()
    }

    /// Deletes a challenge; true for exactly one caller, so a challenge completes once.
    pub async fn take_challenge(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await
            .map_err(query_err("take challenge"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Counts one wrong answer to a challenge and returns the new count (0: it is gone).
    pub async fn bump_challenge_attempts(&self, token_hash: &[u8]) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "UPDATE login_challenges SET attempts = attempts + 1 WHERE token_hash = $1 \
             RETURNING attempts",
        )
        .bind(token_hash.to_vec())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("bump challenge attempts"))?;
        Ok(row.map(|r| r.get(0)).unwrap_or(0))
    }
}
