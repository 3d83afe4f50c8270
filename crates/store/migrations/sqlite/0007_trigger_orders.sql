-- Trigger engine state beyond 0004 (sqlite). Keep in step with migrations/postgres/0007_trigger_orders.sql.
-- armed_state: the engine's live state of an armed trigger (its spec as armed plus each
-- remaining leg: waiting follow-ups, trailing extremes), JSON the store does not interpret.
-- Restoring from it after a restart keeps a trailing stop's extreme and a bracket's progress.
ALTER TABLE triggers ADD COLUMN armed_state TEXT;

-- One row per order a trigger leg decided to place, written in the same transaction that moves
-- the leg out of the armed state, before anything is sent. client_order_id is deterministic
-- (derived from trigger and leg), so after a crash the engine asks the venue for that id before
-- sending again; (trigger_id, leg) is unique, so no leg can decide twice. order_json is the
-- decided order (side, quantity, limit) so a retry sends exactly what was decided.
-- state follows the venue: decided (not yet confirmed) -> pending_new / new / partially_filled
-- -> filled / cancelled / rejected / expired; it only ever moves forward.
CREATE TABLE trigger_orders (
    client_order_id TEXT PRIMARY KEY,
    trigger_id      TEXT NOT NULL REFERENCES triggers(id),
    leg             INTEGER NOT NULL,
    credential_id   TEXT NOT NULL,
    symbol          TEXT NOT NULL,
    order_json      TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('decided', 'pending_new', 'new', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired')),
    venue_order_id  TEXT,
    executed_qty    TEXT,
    created_at_us   INTEGER NOT NULL,
    updated_at_us   INTEGER NOT NULL,
    UNIQUE (trigger_id, leg)
);
CREATE INDEX trigger_orders_state ON trigger_orders(state);
