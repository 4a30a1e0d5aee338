-- The shop counter (issue 36): tills, and every POS sale's till, cashier, IVA and tip.
-- A till's `vat_rate` is its default IVA for new sales: '22', '10', '5', '4', or '0:N1'…'0:N7'
-- (0 % with its Natura code). The first till (lowest id) is the default one: sales from a POS that
-- chose none go there. The migration creates it as "Cassa", so existing POS screens keep working.
CREATE TABLE tills (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT    NOT NULL UNIQUE,
    printer_address     TEXT,                           -- HOST:PORT of an ESC/POS printer, or NULL
    vat_rate            TEXT    NOT NULL DEFAULT '22',
    created_at          INTEGER NOT NULL
);
INSERT INTO tills (name, vat_rate, created_at) VALUES ('Cassa', '22', 0);

-- One row per POS sale (its Lightning invoice). The till's name is copied, so a removed till's
-- sales keep it; money is integer cents: gross (IVA included) = net + IVA; the tip is apart, with
-- no IVA, and the invoice asks for gross + tip.
CREATE TABLE pos_sales (
    invoice_id          TEXT    PRIMARY KEY REFERENCES ln_invoices (id),
    till_id             INTEGER REFERENCES tills (id) ON DELETE SET NULL,
    till_name           TEXT    NOT NULL,
    cashier             TEXT    NOT NULL,
    gross_cents         INTEGER NOT NULL CHECK (gross_cents > 0),
    vat_rate            TEXT    NOT NULL,
    vat_cents           INTEGER NOT NULL CHECK (vat_cents >= 0),
    net_cents           INTEGER NOT NULL CHECK (net_cents >= 0),
    tip_cents           INTEGER NOT NULL DEFAULT 0 CHECK (tip_cents >= 0),
    created_at          INTEGER NOT NULL
);
CREATE INDEX pos_sales_created ON pos_sales (created_at);
