-- Issue 37: lists whose cost does not grow with the history (keyset pages, prefix search, counts).
--
-- Every list page is one range of one index, read in the index's order (newest or oldest first),
-- so neither a deep page nor a filter reads rows it does not show. The ties of the order are the
-- primary key, the second half of the page cursor.
DROP INDEX IF EXISTS ln_invoices_state;
DROP INDEX IF EXISTS ln_invoices_fattura;
CREATE INDEX ln_invoices_created ON ln_invoices (created_at, id);
CREATE INDEX ln_invoices_state_created ON ln_invoices (state, created_at, id);
CREATE INDEX ln_invoices_fattura_created ON ln_invoices (fattura_id, created_at, id);
-- fatture are listed by their date; id is the rowid, so it is in every index already.
CREATE INDEX fatture_data ON fatture (data, id);
DROP INDEX IF EXISTS payments_settled_at;
CREATE INDEX payments_settled ON payments (settled_at, payment_hash);
CREATE INDEX payments_fattura ON payments (fattura_id);

-- Prefix search: a range (>= prefix AND < prefix || U+10FFFF) over the lower-cased text.
CREATE INDEX fatture_numero_lower ON fatture (lower(numero));
CREATE INDEX fatture_client_lower ON fatture (lower(client_name));
CREATE INDEX fatture_piva_lower ON fatture (lower(client_piva));

-- How many rows each list holds, by state, kept by triggers in the transaction of the change, so
-- a count never scans. 'ln_invoices': one row per invoice state; 'fatture', 'payments': '*'.
CREATE TABLE list_counts (
    list    TEXT    NOT NULL,
    state   TEXT    NOT NULL,
    n       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list, state)
);
INSERT INTO list_counts (list, state, n) VALUES
    ('ln_invoices', 'PENDING', 0), ('ln_invoices', 'OPEN', 0), ('ln_invoices', 'ACCEPTED', 0),
    ('ln_invoices', 'SETTLED', 0), ('ln_invoices', 'CANCELED', 0), ('ln_invoices', 'EXPIRED', 0),
    ('fatture', '*', 0), ('payments', '*', 0);
UPDATE list_counts SET n = (SELECT COUNT(*) FROM ln_invoices WHERE ln_invoices.state = list_counts.state)
    WHERE list = 'ln_invoices';
UPDATE list_counts SET n = (SELECT COUNT(*) FROM fatture) WHERE list = 'fatture';
UPDATE list_counts SET n = (SELECT COUNT(*) FROM payments) WHERE list = 'payments';

CREATE TRIGGER ln_invoices_count_insert AFTER INSERT ON ln_invoices BEGIN
    UPDATE list_counts SET n = n + 1 WHERE list = 'ln_invoices' AND state = NEW.state;
END;
CREATE TRIGGER ln_invoices_count_delete AFTER DELETE ON ln_invoices BEGIN
    UPDATE list_counts SET n = n - 1 WHERE list = 'ln_invoices' AND state = OLD.state;
END;
CREATE TRIGGER ln_invoices_count_state AFTER UPDATE OF state ON ln_invoices WHEN OLD.state <> NEW.state BEGIN
    UPDATE list_counts SET n = n - 1 WHERE list = 'ln_invoices' AND state = OLD.state;
    UPDATE list_counts SET n = n + 1 WHERE list = 'ln_invoices' AND state = NEW.state;
END;
CREATE TRIGGER fatture_count_insert AFTER INSERT ON fatture BEGIN
    UPDATE list_counts SET n = n + 1 WHERE list = 'fatture' AND state = '*';
END;
CREATE TRIGGER fatture_count_delete AFTER DELETE ON fatture BEGIN
    UPDATE list_counts SET n = n - 1 WHERE list = 'fatture' AND state = '*';
END;
CREATE TRIGGER payments_count_insert AFTER INSERT ON payments BEGIN
    UPDATE list_counts SET n = n + 1 WHERE list = 'payments' AND state = '*';
END;
CREATE TRIGGER payments_count_delete AFTER DELETE ON payments BEGIN
    UPDATE list_counts SET n = n - 1 WHERE list = 'payments' AND state = '*';
END;
