-- Refunds of POS sales (issue 36). A refund row is written in state 'sending' BEFORE
-- SendPaymentV2, with the payment hash, so that after a crash it is resolved by TrackPaymentV2
-- and never sent twice (the hash is unique). Money: EUR in integer cents, sats in msat, the rate
-- as decimal text with its source and time.
CREATE TABLE refunds (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id          TEXT    NOT NULL REFERENCES ln_invoices (id),
    payment_hash        TEXT    NOT NULL UNIQUE,
    payment_request     TEXT    NOT NULL,
    destination         TEXT    NOT NULL,           -- the BOLT11 or the Lightning address given
    amount_cents        INTEGER NOT NULL CHECK (amount_cents > 0),
    amount_msat         INTEGER NOT NULL CHECK (amount_msat > 0),
    fee_msat            INTEGER NOT NULL DEFAULT 0,
    fee_cents           INTEGER NOT NULL DEFAULT 0,
    eur_per_btc         TEXT    NOT NULL,
    rate_source         TEXT    NOT NULL,
    rate_at             INTEGER NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('sending', 'succeeded', 'failed')),
    failure             TEXT,
    created_by          TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    finished_at         INTEGER
);
CREATE INDEX refunds_invoice ON refunds (invoice_id);
CREATE INDEX refunds_state ON refunds (state);
