-- Receipts of POS sales (issue 36): the customer's link `/r/{token}`. As for payment links, only
-- the SHA-256 of a token is stored, never the token, so a token is shown once; a sale may have
-- several (the POS screen's QR, a printed receipt's QR), each opening the same receipt.
CREATE TABLE receipt_tokens (
    token_hash          TEXT    PRIMARY KEY,            -- hex SHA-256 of the token
    invoice_id          TEXT    NOT NULL REFERENCES pos_sales (invoice_id),
    created_at          INTEGER NOT NULL
);
CREATE INDEX receipt_tokens_sale ON receipt_tokens (invoice_id);

-- Whether a till prints the receipt on its ESC/POS printer by itself when a sale is paid (1) or not (0).
ALTER TABLE tills ADD COLUMN auto_print INTEGER NOT NULL DEFAULT 0;

-- Receipts a till printed by itself when the sale was paid: one row per sale, claimed before
-- printing, so that two gateways never both print it.
CREATE TABLE receipt_auto_prints (
    invoice_id          TEXT    PRIMARY KEY REFERENCES pos_sales (invoice_id),
    printed_at          INTEGER NOT NULL
);
