-- Durable triggers (SQLite). Keep in step with migrations/postgres/0004_triggers.sql.
-- A trigger row is written before the trigger is acknowledged; the engine re-arms every
-- 'armed' row after a restart. 'firing' means the order was decided with client_order_id but
-- not yet confirmed: on restart the engine asks the venue about that id before any retry.
-- spec is the engine's TriggerSpec as JSON (the store does not interpret it).
CREATE TABLE triggers (
    id              TEXT PRIMARY KEY,
    owner_id        TEXT NOT NULL REFERENCES users(id),
    credential_id   TEXT,
    venue           TEXT NOT NULL,
    symbol          TEXT NOT NULL,
    spec            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('armed', 'firing', 'fired', 'cancelled', 'missed', 'rejected')),
    client_order_id TEXT UNIQUE,
    venue_order_id  TEXT,
    created_at_us   INTEGER NOT NULL,
    updated_at_us   INTEGER NOT NULL
);
CREATE INDEX triggers_state ON triggers(state);
