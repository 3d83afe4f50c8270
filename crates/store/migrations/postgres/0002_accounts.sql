-- Accounts and authentication (PostgreSQL). Keep in step with migrations/sqlite/0002_accounts.sql.
-- Nothing here is a secret in the clear: passwords are argon2id PHC strings, every token is
-- stored as its SHA-256, TOTP seeds live sealed in sealed_secrets (venue 'totp').

-- password_hash is NULL until the user has set a password (one-time setup link pending).
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at_us BIGINT;

-- Browser sessions. expires_at_us is the absolute deadline; the idle deadline is
-- last_seen_at_us + the configured idle timeout. authenticated_at_us is the last full
-- authentication (password and second factor), for step-up checks.
CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users(id),
    token_hash          BYTEA NOT NULL UNIQUE,
    created_at_us       BIGINT NOT NULL,
    last_seen_at_us     BIGINT NOT NULL,
    authenticated_at_us BIGINT NOT NULL,
    expires_at_us       BIGINT NOT NULL,
    source_addr         TEXT,
    user_agent          TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Personal API tokens; scopes is a comma-separated list (read, trade).
CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id),
    name            TEXT NOT NULL,
    token_hash      BYTEA NOT NULL UNIQUE,
    scopes          TEXT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    expires_at_us   BIGINT NOT NULL,
    last_used_at_us BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- A login in progress (after the password, before the session): second factor, forced
-- password change, 2FA enrolment, or a one-time account setup link.
CREATE TABLE login_challenges (
    token_hash      BYTEA PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id),
    stage           TEXT NOT NULL,
    factor_done     BIGINT NOT NULL DEFAULT 0,
    attempts        BIGINT NOT NULL DEFAULT 0,
    created_at_us   BIGINT NOT NULL,
    expires_at_us   BIGINT NOT NULL,
    source_addr     TEXT
);
CREATE INDEX login_challenges_user ON login_challenges(user_id);

-- TOTP factors: at most one confirmed and one pending (enrolment not yet confirmed) per user.
-- The seed is the sealed secret (record_id = id, field 'totp_seed'). last_used_step rises
-- only, so no time step is ever accepted twice.
CREATE TABLE totp_factors (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id),
    confirmed      BIGINT NOT NULL DEFAULT 0,
    last_used_step BIGINT NOT NULL DEFAULT -1,
    created_at_us  BIGINT NOT NULL
);
CREATE UNIQUE INDEX totp_factors_user_state ON totp_factors(user_id, confirmed);

-- Single-use recovery codes, as SHA-256 of the 128-bit code.
CREATE TABLE recovery_codes (
    user_id       TEXT NOT NULL REFERENCES users(id),
    code_hash     BYTEA NOT NULL,
    created_at_us BIGINT NOT NULL,
    used_at_us    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Failed-login counters per key ('account:<email>' or 'addr:<address>'). Counts decay: the
-- caller passes a cut-off before which an old count is forgotten, so no lock is permanent.
CREATE TABLE login_throttle (
    key                TEXT PRIMARY KEY,
    failures           BIGINT NOT NULL,
    last_failure_at_us BIGINT NOT NULL
);
