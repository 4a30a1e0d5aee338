-- Rebalances (circular self-payments) and their routing fees, kept apart from invoice payments
-- for the accounts; and liquidity alerts as events, which belong to no invoice.
-- Times: unix seconds.

-- 1. Events gain the type 'liquidity_alert', whose ln_invoice_id is '' (no invoice).
-- SQLite cannot change a CHECK constraint, so the table is rebuilt. This runs inside sqlx's
-- migration transaction with foreign keys on, where dropping a parent table that still has
-- child rows fails at commit; so the outbox rows (children) are set aside first and put back
-- once the new table carries the same event numbers.
CREATE TEMP TABLE keep_deliveries AS SELECT * FROM webhook_deliveries;
CREATE TEMP TABLE keep_attempts AS SELECT * FROM webhook_attempts;
DELETE FROM webhook_attempts;
DELETE FROM webhook_deliveries;

CREATE TABLE events_new (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,  -- event order
    id                  TEXT    NOT NULL UNIQUE,            -- stable id: evt_<32 hex>
    type                TEXT    NOT NULL CHECK (type IN ('invoice_created', 'payment_received', 'payment_failed', 'invoice_cancelled', 'liquidity_alert')),
    ln_invoice_id       TEXT    NOT NULL,                   -- '' exactly for liquidity alerts
    payload             TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    CHECK ((type = 'liquidity_alert') = (ln_invoice_id = ''))
);
INSERT INTO events_new (seq, id, type, ln_invoice_id, payload, created_at)
    SELECT seq, id, type, ln_invoice_id, payload, created_at FROM events;
-- Keep the AUTOINCREMENT position, so event numbers are never reused.
DELETE FROM sqlite_sequence WHERE name = 'events_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_invoice ON events (ln_invoice_id);
-- The foreign key to ln_invoices, for the events that have an invoice.
CREATE TRIGGER events_invoice_exists BEFORE INSERT ON events
    WHEN NEW.ln_invoice_id <> '' AND NOT EXISTS (SELECT 1 FROM ln_invoices WHERE id = NEW.ln_invoice_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: events.ln_invoice_id');
END;

INSERT INTO webhook_deliveries SELECT * FROM keep_deliveries;
INSERT INTO webhook_attempts SELECT * FROM keep_attempts;
DROP TABLE keep_deliveries;
DROP TABLE keep_attempts;

-- 2. One row per rebalance attempt (manual or by the liquidity manager).
CREATE TABLE rebalances (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_hash        TEXT    NOT NULL,                   -- hex, of our own invoice
    from_chan_id        INTEGER NOT NULL,                   -- local balance leaves through this channel
    to_chan_id          INTEGER NOT NULL,                   -- and comes back through this one
    amount_msat         INTEGER NOT NULL CHECK (amount_msat > 0),
    fee_msat            INTEGER NOT NULL CHECK (fee_msat >= 0),  -- routing fees paid (0 unless succeeded)
    status              TEXT    NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED')),
    failure             TEXT,                               -- why it failed
    trigger             TEXT    NOT NULL CHECK (trigger IN ('manual', 'auto')),
    started_at          INTEGER NOT NULL,
    finished_at         INTEGER NOT NULL
);
CREATE INDEX rebalances_finished ON rebalances (finished_at);

-- 3. At most one rebalance at a time across processes (`serve`'s manager and the CLI): a lease
-- row, taken when free or expired, renewed before each payment, deleted when done.
CREATE TABLE rebalance_lease (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    holder              TEXT    NOT NULL,                   -- random id of the holding run
    expires_at          INTEGER NOT NULL
);
