-- The lines (DettaglioLinee) and the IVA summary (DatiRiepilogo) of a fattura (issue 35), stored
-- with it in the import's transaction, for the courtesy copy. Line quantities and prices keep the
-- document's exact decimals (up to 8 places, Amount8DecimalType) as decimal text; the summary's
-- amounts are whole cents. Rates are decimal text (e.g. '22.00'). An invoice added by hand gets
-- one line from its description and total; invoices imported before this migration have none.
CREATE TABLE fattura_lines (
    fattura_id          INTEGER NOT NULL REFERENCES fatture (id),
    line_no             INTEGER NOT NULL CHECK (line_no >= 1),   -- NumeroLinea
    position            INTEGER NOT NULL,                        -- order in the document, from 0
    description         TEXT    NOT NULL,
    quantity            TEXT,                                   -- Quantita, decimal text
    unit                TEXT,                                   -- UnitaMisura
    unit_price_eur      TEXT    NOT NULL,                       -- PrezzoUnitario, decimal text
    total_eur           TEXT    NOT NULL,                       -- PrezzoTotale, decimal text
    vat_percent         TEXT    NOT NULL,                       -- AliquotaIVA
    natura              TEXT,                                   -- Natura (N1…N7) of a 0 % line
    PRIMARY KEY (fattura_id, position)
);

CREATE TABLE fattura_vat_summary (
    fattura_id          INTEGER NOT NULL REFERENCES fatture (id),
    position            INTEGER NOT NULL,                        -- order in the document, from 0
    vat_percent         TEXT    NOT NULL,                       -- AliquotaIVA
    natura              TEXT,
    taxable_cents       INTEGER NOT NULL,                        -- ImponibileImporto
    vat_cents           INTEGER NOT NULL,                        -- Imposta
    esigibilita         TEXT,                                   -- EsigibilitaIVA: I, D or S
    PRIMARY KEY (fattura_id, position)
);
