-- The client's identity recorded with a Lightning invoice at or above
-- lightning_identity_threshold_eur (issue 38 §5): name and codice fiscale or partita IVA (a
-- foreign VAT id as given), from the fattura's CessionarioCommittente or entered when the
-- invoice was created. One row per invoice that needed it; written in the invoice's insert.
CREATE TABLE ln_invoice_identity (
    ln_invoice_id       TEXT    PRIMARY KEY REFERENCES ln_invoices (id),
    client_name         TEXT    NOT NULL,
    client_tax_id       TEXT    NOT NULL,
    source              TEXT    NOT NULL CHECK (source IN ('fattura', 'entered'))
);
