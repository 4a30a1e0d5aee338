-- The rate evidence of every Lightning invoice (POS sales included): each provider answer its
-- locked rate was computed from ('used'), the answers dropped as outliers ('dropped', with the
-- reason) and the providers that gave no usable answer ('failed', with the reason), as they were
-- when the rate was locked. Prices are the exact decimal text the provider answered; times are
-- unix milliseconds. Nothing needs the network to explain a past rate. Invoices made before this
-- migration have no rows.
CREATE TABLE rate_evidence (
    ln_invoice_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    provider TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('used', 'dropped', 'failed')),
    eur_per_btc TEXT,
    answered_at_ms INTEGER,
    reason TEXT,
    PRIMARY KEY (ln_invoice_id, position)
);

-- The rate in force when a payment settled (the rate cache's live quote then; no provider is
-- asked at settlement), next to the invoice's locked rate. NULL when the cache held none.
ALTER TABLE payments ADD COLUMN settle_rate_eur_per_btc TEXT;
ALTER TABLE payments ADD COLUMN settle_rate_source TEXT;
ALTER TABLE payments ADD COLUMN settle_rate_at INTEGER;
