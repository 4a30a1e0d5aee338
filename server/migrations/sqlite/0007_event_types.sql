-- Event names move from a CHECK list on events.type to a reference table, so adding an event
-- never needs a table rebuild again: the store inserts every name it knows into event_types
-- each time it opens the database (INSERT … ON CONFLICT DO NOTHING), and events.type is a
-- foreign key to it. about_invoice says whether events of that type name an invoice; the rule
-- "an event names an invoice exactly when its type is about one" (before: liquidity_alert ⇔
-- ln_invoice_id = '') is checked by a trigger against that column.
CREATE TABLE event_types (
    name                TEXT    PRIMARY KEY,
    about_invoice       INTEGER NOT NULL CHECK (about_invoice IN (0, 1))
);
INSERT INTO event_types (name, about_invoice) VALUES
    ('invoice_created', 1),
    ('payment_received', 1),
    ('payment_failed', 1),
    ('invoice_cancelled', 1),
    ('liquidity_alert', 0);

-- SQLite cannot drop a CHECK constraint, so the table is rebuilt one last time, as in 0004: the
-- outbox rows (children) are set aside, the rows copied with their event numbers, the
-- AUTOINCREMENT position kept, and the index and both triggers (0004's invoice check, 0006's
-- delivery queueing) recreated exactly.
CREATE TEMP TABLE keep_deliveries AS SELECT * FROM webhook_deliveries;
CREATE TEMP TABLE keep_attempts AS SELECT * FROM webhook_attempts;
DELETE FROM webhook_attempts;
DELETE FROM webhook_deliveries;

CREATE TABLE events_new (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,  -- event order
    id                  TEXT    NOT NULL UNIQUE,            -- stable id: evt_<32 hex>
    type                TEXT    NOT NULL REFERENCES event_types (name),
    ln_invoice_id       TEXT    NOT NULL,                   -- '' exactly for types about no invoice
    payload             TEXT    NOT NULL,
    created_at          INTEGER NOT NULL
);
INSERT INTO events_new (seq, id, type, ln_invoice_id, payload, created_at)
    SELECT seq, id, type, ln_invoice_id, payload, created_at FROM events;
DELETE FROM sqlite_sequence WHERE name = 'events_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_invoice ON events (ln_invoice_id);
-- From 0004: the foreign key to ln_invoices, for the events that have an invoice.
CREATE TRIGGER events_invoice_exists BEFORE INSERT ON events
    WHEN NEW.ln_invoice_id <> '' AND NOT EXISTS (SELECT 1 FROM ln_invoices WHERE id = NEW.ln_invoice_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: events.ln_invoice_id');
END;
-- From 0006: the outbox rows of an event are written by the database, within the statement that
-- records the event.
CREATE TRIGGER events_queue_deliveries AFTER INSERT ON events
BEGIN
    INSERT INTO webhook_deliveries (event_seq, endpoint, state, next_attempt_ms)
    SELECT NEW.seq, name, 'PENDING', 0 FROM webhook_endpoints
    WHERE enabled = 1
      AND (events = '*' OR (',' || REPLACE(events, ' ', '') || ',') LIKE ('%,' || NEW.type || ',%'));
END;
-- New: an event names an invoice exactly when its type is about one (unknown types are refused
-- by the foreign key).
CREATE TRIGGER events_type_fits BEFORE INSERT ON events
    WHEN EXISTS (SELECT 1 FROM event_types WHERE name = NEW.type AND about_invoice <> (NEW.ln_invoice_id <> ''))
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: events.ln_invoice_id must be set exactly for event types about an invoice');
END;
CREATE TRIGGER events_type_fits_update BEFORE UPDATE OF type, ln_invoice_id ON events
    WHEN EXISTS (SELECT 1 FROM event_types WHERE name = NEW.type AND about_invoice <> (NEW.ln_invoice_id <> ''))
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: events.ln_invoice_id must be set exactly for event types about an invoice');
END;

INSERT INTO webhook_deliveries SELECT * FROM keep_deliveries;
INSERT INTO webhook_attempts SELECT * FROM keep_attempts;
DROP TABLE keep_deliveries;
DROP TABLE keep_attempts;
