-- Emailed links and known devices (SQLite). Keep in step with
-- migrations/postgres/0005_email_links.sql.

-- A link sent by email (lockdown, password reset, email-change revert, sign-up
-- verification): stored only as the SHA-256 of its 256-bit token, single use (the row is
-- deleted when it is used), with an expiry. user_id is NULL for a pending sign-up, whose
-- payload holds the address and the argon2id hash of the chosen password; for an email-change
-- revert the payload is the old address.
CREATE TABLE email_links (
    token_hash    BLOB PRIMARY KEY,
    user_id       TEXT REFERENCES users(id),
    purpose       TEXT NOT NULL,
    payload       TEXT,
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL
);
CREATE INDEX email_links_user ON email_links(user_id);

-- Devices a user's password has been used from: SHA-256 of (user agent, address), so the
-- user is told by email the first time a new one appears.
CREATE TABLE known_devices (
    user_id          TEXT NOT NULL REFERENCES users(id),
    device_hash      BLOB NOT NULL,
    first_seen_at_us INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);
