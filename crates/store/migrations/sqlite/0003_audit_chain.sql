-- Tamper-evident audit log (SQLite). Keep in step with migrations/postgres/0003_audit_chain.sql.
--
-- Each row commits to its predecessor: chain_hash = SHA-256(prev_hash || leaf_hash), with the
-- leaf hash taken over the row's canonical encoding (see crates/store/src/audit.rs). Rows written
-- before this migration have NULL hashes until the next append chains them.
-- prev_hash is UNIQUE so two writers that read the same head cannot both append after it: one
-- fails and retries instead of forking the chain (seq, the primary key, also collides).
ALTER TABLE audit_events ADD COLUMN prev_hash BLOB;
ALTER TABLE audit_events ADD COLUMN chain_hash BLOB;
CREATE UNIQUE INDEX audit_events_prev_hash ON audit_events(prev_hash);

-- Append-only, enforced by the database against application bugs (an attacker with database
-- write access can drop these triggers; the external checkpoints catch what they do next).
-- The one update allowed is chaining a legacy row that has no hash yet.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN OLD.chain_hash IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- Signed checkpoints: the Merkle tree head (RFC 6962) and chain head at tree_size entries,
-- signed with Ed25519 by the signer side. frontier is the compact range (the roots of the
-- perfect subtrees, left to right) that lets the checkpointer resume without rereading the log;
-- it is trusted only because it must reproduce the signed root.
CREATE TABLE audit_checkpoints (
    tree_size  INTEGER PRIMARY KEY,
    root_hash  BLOB NOT NULL,
    chain_head BLOB NOT NULL,
    at_us      INTEGER NOT NULL,
    public_key BLOB NOT NULL,
    signature  BLOB NOT NULL,
    frontier   BLOB NOT NULL
);
