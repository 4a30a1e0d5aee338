-- Payment links (issue 35 §1): `{public_base_url}/pay/{token}` opens the client's payment page.
-- Only the SHA-256 of the token is kept (hex), never the token. A link belongs to a fattura (so a
-- new quote keeps it) or, for a standalone invoice, to that Lightning invoice. At most one live
-- (unrevoked) link per fattura and per standalone invoice.
CREATE TABLE payment_links (
    id                  INTEGER PRIMARY KEY,
    token_hash          TEXT    NOT NULL UNIQUE,
    fattura_id          INTEGER REFERENCES fatture (id),
    ln_invoice_id       TEXT    REFERENCES ln_invoices (id),
    created_at          INTEGER NOT NULL,
    revoked_at          INTEGER,
    CHECK ((fattura_id IS NULL) <> (ln_invoice_id IS NULL))
);
CREATE UNIQUE INDEX payment_links_live_fattura ON payment_links (fattura_id) WHERE revoked_at IS NULL AND fattura_id IS NOT NULL;
CREATE UNIQUE INDEX payment_links_live_invoice ON payment_links (ln_invoice_id) WHERE revoked_at IS NULL AND ln_invoice_id IS NOT NULL;
