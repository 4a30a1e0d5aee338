-- Events (state changes of our Lightning invoices), the webhook outbox and the tracker's position.
-- Times: unix seconds, except *_ms columns (unix milliseconds).

-- One row per state change; `payload` is the exact webhook body (redeliveries resend these bytes).
CREATE TABLE events (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,  -- event order
    id                  TEXT    NOT NULL UNIQUE,            -- stable id: evt_<32 hex>
    type                TEXT    NOT NULL CHECK (type IN ('invoice_created', 'payment_received', 'payment_failed', 'invoice_cancelled')),
    ln_invoice_id       TEXT    NOT NULL REFERENCES ln_invoices (id),
    payload             TEXT    NOT NULL,
    created_at          INTEGER NOT NULL
);
CREATE INDEX events_invoice ON events (ln_invoice_id);

-- Webhook endpoints. 'default' mirrors lightning_webhook_url (its secret stays in the config: NULL here).
CREATE TABLE webhook_endpoints (
    name                TEXT    PRIMARY KEY,
    url                 TEXT    NOT NULL,
    secret              TEXT,                               -- NULL: lightning_webhook_secret
    events              TEXT    NOT NULL DEFAULT '*',       -- '*' or comma-separated event types
    enabled             INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL
);

-- The outbox: one row per (event, endpoint), written in the event's transaction.
CREATE TABLE webhook_deliveries (
    event_seq           INTEGER NOT NULL REFERENCES events (seq),
    endpoint            TEXT    NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms     INTEGER NOT NULL,
    last_status         INTEGER,
    last_error          TEXT,
    PRIMARY KEY (event_seq, endpoint)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, endpoint, next_attempt_ms);

-- Every delivery attempt.
CREATE TABLE webhook_attempts (
    id                  INTEGER PRIMARY KEY,
    event_seq           INTEGER NOT NULL REFERENCES events (seq),
    endpoint            TEXT    NOT NULL,
    attempted_at        INTEGER NOT NULL,
    http_status         INTEGER,
    error               TEXT,
    latency_ms          INTEGER NOT NULL,
    outcome             TEXT    NOT NULL CHECK (outcome IN ('DELIVERED', 'RETRY', 'FAILED'))
);

-- Where the tracker resumes SubscribeInvoices.
CREATE TABLE tracker_state (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    add_index           INTEGER NOT NULL DEFAULT 0,
    settle_index        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO tracker_state (id) VALUES (1);
