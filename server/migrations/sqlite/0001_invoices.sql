-- OpenFatture Lightning: the EUR invoice registry, Lightning invoices and received payments.
-- Money: EUR as integer cents (exact), Lightning amounts as integer msat. Times: unix seconds (UTC).

-- The EUR invoices to be paid (OpenFatture's "fatture").
CREATE TABLE fatture (
    id                  INTEGER PRIMARY KEY,
    numero              TEXT    NOT NULL,
    anno                INTEGER NOT NULL,
    data                TEXT    NOT NULL,              -- ISO date of the invoice
    cedente_piva        TEXT    NOT NULL DEFAULT '',    -- seller VAT id; '' for invoices added by hand
    client_name         TEXT    NOT NULL,
    client_piva         TEXT,
    client_cf           TEXT,
    description         TEXT    NOT NULL DEFAULT '',
    totale_cents        INTEGER NOT NULL CHECK (totale_cents >= 0),
    ritenuta_cents      INTEGER NOT NULL DEFAULT 0 CHECK (ritenuta_cents >= 0),
    bollo_cents         INTEGER NOT NULL DEFAULT 0 CHECK (bollo_cents >= 0),
    due_cents           INTEGER NOT NULL CHECK (due_cents >= 0),   -- totale - ritenuta + bollo (or ImportoPagamento)
    paid_cents          INTEGER NOT NULL DEFAULT 0 CHECK (paid_cents >= 0),
    source              TEXT    NOT NULL,               -- 'manual' or 'fatturapa:<file name>'
    created_at          INTEGER NOT NULL,
    UNIQUE (numero, anno, cedente_piva)
);
CREATE INDEX fatture_numero ON fatture (numero);

-- Lightning invoices we asked the node to create.
CREATE TABLE ln_invoices (
    id                  TEXT    PRIMARY KEY,            -- INV-001-LN, INV-001-LN-2, LN-000001
    fattura_id          INTEGER REFERENCES fatture (id),
    attempt             INTEGER NOT NULL,               -- 1, 2, ... per fattura; standalone sequence number otherwise
    payment_hash        TEXT    NOT NULL UNIQUE,        -- hex
    payment_request     TEXT,                           -- NULL until the node answered
    memo                TEXT    NOT NULL,
    amount_cents        INTEGER NOT NULL CHECK (amount_cents > 0),
    amount_msat         INTEGER NOT NULL CHECK (amount_msat > 0),
    rate_eur_per_btc    TEXT    NOT NULL,               -- exact decimal
    rate_source         TEXT    NOT NULL,
    rate_at             INTEGER NOT NULL,
    rate_is_fallback    INTEGER NOT NULL DEFAULT 0,
    expiry_secs         INTEGER NOT NULL CHECK (expiry_secs > 0),
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('PENDING', 'OPEN', 'ACCEPTED', 'SETTLED', 'CANCELED', 'EXPIRED')),
    add_index           INTEGER,
    settle_index        INTEGER,
    amt_paid_msat       INTEGER NOT NULL DEFAULT 0,
    settled_at          INTEGER,
    cancelled_by_us     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (fattura_id, attempt)
);
CREATE INDEX ln_invoices_state ON ln_invoices (state, created_at);
CREATE INDEX ln_invoices_fattura ON ln_invoices (fattura_id);

-- Preimages we generated (kept apart so listing invoices never reads them).
CREATE TABLE ln_preimages (
    payment_hash        TEXT    PRIMARY KEY REFERENCES ln_invoices (payment_hash),
    preimage            TEXT    NOT NULL
);

-- Received Lightning payments, one per settled Lightning invoice.
CREATE TABLE payments (
    payment_hash        TEXT    PRIMARY KEY REFERENCES ln_invoices (payment_hash),
    ln_invoice_id       TEXT    NOT NULL REFERENCES ln_invoices (id),
    fattura_id          INTEGER REFERENCES fatture (id),
    amount_msat         INTEGER NOT NULL CHECK (amount_msat > 0),
    amount_cents        INTEGER NOT NULL CHECK (amount_cents >= 0), -- EUR at the invoice's locked rate
    rate_eur_per_btc    TEXT    NOT NULL,
    rate_source         TEXT    NOT NULL,
    method              TEXT    NOT NULL DEFAULT 'Lightning Network',
    settled_at          INTEGER NOT NULL
);
CREATE INDEX payments_settled_at ON payments (settled_at);
