-- WebAuthn passkeys and security keys (PostgreSQL). Keep in step with
-- migrations/sqlite/0006_webauthn.sql. Nothing here is secret: a credential is a public key,
-- its id and its signature counter; ceremony state is a server-side challenge.

-- One row per registered authenticator credential. credential_id is the authenticator's
-- own id (unique across users: the same key cannot be registered twice). passkey is
-- webauthn-rs's Passkey as JSON (public key, counter, backup flags). sign_count is the
-- last accepted signature counter, updated by compare-and-set so a cloned authenticator
-- (a counter that did not rise) is refused even when two assertions race.
CREATE TABLE webauthn_credentials (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id),
    credential_id   BYTEA NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    passkey         TEXT NOT NULL,
    sign_count      BIGINT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    last_used_at_us BIGINT
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials(user_id);

-- A registration or authentication ceremony in progress: webauthn-rs's state (the
-- challenge and the allowed credentials) as JSON. It stays here, never with the client, and
-- is taken (deleted) when answered, so a challenge is good for one answer only.
-- ceremony_key names the purpose and what it is bound to ('login:<challenge digest>',
-- 'register:<session id>', ...).
CREATE TABLE webauthn_ceremonies (
    ceremony_key  TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    state         TEXT NOT NULL,
    expires_at_us BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_user ON webauthn_ceremonies(user_id);
