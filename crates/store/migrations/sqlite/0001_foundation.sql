-- Foundation schema (SQLite). Keep in step with migrations/postgres/0001_foundation.sql.
-- Integers are 64-bit everywhere; decimals are TEXT (exact); flags are 0/1 integers.

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL DEFAULT 'user',
    trading_enabled INTEGER NOT NULL DEFAULT 1,
    created_at_us   INTEGER NOT NULL
);

CREATE TABLE settings (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL,
    updated_at_us INTEGER NOT NULL
);

CREATE TABLE credentials (
    id                 TEXT PRIMARY KEY,
    owner_id           TEXT NOT NULL REFERENCES users(id),
    venue              TEXT NOT NULL,
    label              TEXT NOT NULL,
    scheme             TEXT NOT NULL,
    api_key_masked     TEXT NOT NULL,
    permissions        TEXT NOT NULL DEFAULT '{}',
    allowed_symbols    TEXT,
    max_order_notional TEXT,
    max_daily_notional TEXT,
    created_at_us      INTEGER NOT NULL
);
CREATE INDEX credentials_owner ON credentials(owner_id);

-- Every sealed secret (exchange secrets, TOTP seeds, ...): AEAD ciphertext plus its DEK wrapped by
-- the KEK of version kek_version. owner_id/record_id/venue/field are the seal context (AAD).
CREATE TABLE sealed_secrets (
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    venue       TEXT NOT NULL,
    ciphertext  BLOB NOT NULL,
    nonce       BLOB NOT NULL,
    wrapped_dek BLOB NOT NULL,
    kek_version INTEGER NOT NULL,
    PRIMARY KEY (record_id, field)
);
CREATE INDEX sealed_secrets_kek_version ON sealed_secrets(kek_version);

CREATE TABLE credential_daily_notional (
    credential_id TEXT NOT NULL,
    day           TEXT NOT NULL,
    notional      TEXT NOT NULL,
    PRIMARY KEY (credential_id, day)
);

CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at_us         INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    component     TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    user_id       TEXT,
    session_id    TEXT,
    credential_id TEXT,
    source_addr   TEXT,
    reason        TEXT,
    detail        TEXT NOT NULL
);
CREATE INDEX audit_events_user ON audit_events(user_id, at_us);
