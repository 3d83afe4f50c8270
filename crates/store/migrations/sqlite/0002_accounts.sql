-- Accounts and authentication (SQLite). Keep in step with migrations/postgres/0002_accounts.sql.
-- Nothing here is a secret in the clear: passwords are argon2id PHC strings, every token is
-- stored as its SHA-256, TOTP seeds live sealed in sealed_secrets (venue 'totp').

-- password_hash is NULL until the user has set a password (one-time setup link pending).
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at_us INTEGER;

-- Browser sessions. expires_at_us is the absolute deadline; the idle deadline is
-- last_seen_at_us + the configured idle timeout. authenticated_at_us is the last full
-- authentication (password and second factor), for step-up checks.
CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users(id),
    token_hash          BLOB NOT NULL UNIQUE,
    created_at_us       INTEGER NOT NULL,
    last_seen_at_us     INTEGER NOT NULL,
    authenticated_at_us INTEGER NOT NULL,
    expires_at_us       INTEGER NOT NULL,
    source_addr         TEXT,
    user_agent          TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Personal API tokens; scopes is a comma-separated list (read, trade).
CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id),
    name            TEXT NOT NULL,
    token_hash      BLOB NOT NULL UNIQUE,
    scopes          TEXT NOT NULL,
    created_at_us   INTEGER NOT NULL,
    expires_at_us   INTEGER NOT NULL,
    last_used_at_us INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- A login in progress (after the password, before the session): second factor, forced
-- password change, 2FA enrolment, or a one-time account setup link.
CREATE TABLE login_challenges (
    token_hash      BLOB PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id),
    stage           TEXT NOT NULL,
    factor_done     INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at_us   INTEGER NOT NULL,
    expires_at_us   INTEGER NOT NULL,
    source_addr     TEXT
);
CREATE INDEX login_challenges_user ON login_challenges(user_id);

-- TOTP factors: at most one confirmed and one pending (enrolment not yet confirmed) per user.
-- The seed is the sealed secret (record_id = id, field 'totp_seed'). last_used_step rises
-- only, so no time step is ever accepted twice.
CREATE TABLE totp_factors (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id),
    confirmed      INTEGER NOT NULL DEFAULT 0,
    last_used_step INTEGER NOT NULL DEFAULT -1,
    created_at_us  INTEGER NOT NULL
);
CREATE UNIQUE INDEX totp_factors_user_state ON totp_factors(user_id, confirmed);

-- Single-use recovery codes, as SHA-256 of the 128-bit code.
CREATE TABLE recovery_codes (
    user_id       TEXT NOT NULL REFERENCES users(id),
    code_hash     BLOB NOT NULL,
    created_at_us INTEGER NOT NULL,
    used_at_us    INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- Failed-login counters per key ('account:<email>' or 'addr:<address>'). Counts decay: the
-- caller passes a cut-off before which an old count is forgotten, so no lock is permanent.
CREATE TABLE login_throttle (
    key                TEXT PRIMARY KEY,
    failures           INTEGER NOT NULL,
    last_failure_at_us INTEGER NOT NULL
);
