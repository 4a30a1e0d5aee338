-- The mail outbox (issue 35 §2): every email that carries a payment link, queued in the same
-- transaction as the link, then delivered (and retried with backoff) by whoever sends it: the CLI
-- at once, the gateway's worker later. `payment_url` holds the link (with its token) only while
-- the email waits; it is cleared once the email is sent or given up. `last_error_code` is a short
-- code the pages translate; `last_error` the SMTP server's own words (log and CLI only).
CREATE TABLE mail_outbox (
    id                  INTEGER PRIMARY KEY,
    ln_invoice_id       TEXT    NOT NULL REFERENCES ln_invoices (id),
    fattura_id          INTEGER REFERENCES fatture (id),
    to_address          TEXT    NOT NULL,
    payment_url         TEXT,
    state               TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    last_error_code     TEXT,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    sent_at             INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);
CREATE INDEX mail_outbox_invoice ON mail_outbox (ln_invoice_id);
CREATE INDEX mail_outbox_fattura ON mail_outbox (fattura_id);
