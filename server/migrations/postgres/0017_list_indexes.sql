-- Issue 37: lists whose cost does not grow with the history (keyset pages, prefix search, counts).
-- The SQLite twin is sqlite/0020_list_indexes.sql. Text compared by range (prefix search, page
-- cursors on text keys) is compared byte by byte (COLLATE "C"), whatever the database's locale.
DROP INDEX IF EXISTS ln_invoices_state;
DROP INDEX IF EXISTS ln_invoices_fattura;
CREATE INDEX ln_invoices_created ON ln_invoices (created_at, (id COLLATE "C"));
CREATE INDEX ln_invoices_state_created ON ln_invoices (state, created_at, (id COLLATE "C"));
CREATE INDEX ln_invoices_fattura_created ON ln_invoices (fattura_id, created_at, (id COLLATE "C"));
CREATE INDEX ln_invoices_id_c ON ln_invoices ((id COLLATE "C"));
CREATE INDEX ln_invoices_hash_c ON ln_invoices ((payment_hash COLLATE "C"));
CREATE INDEX fatture_data ON fatture (data, id);
DROP INDEX IF EXISTS payments_settled_at;
CREATE INDEX payments_settled ON payments (settled_at, (payment_hash COLLATE "C"));
CREATE INDEX payments_hash_c ON payments ((payment_hash COLLATE "C"));
CREATE INDEX payments_fattura ON payments (fattura_id);

CREATE INDEX fatture_numero_lower ON fatture ((lower(numero) COLLATE "C"), id);
CREATE INDEX fatture_client_lower ON fatture ((lower(client_name) COLLATE "C"), id);
CREATE INDEX fatture_piva_lower ON fatture ((lower(client_piva) COLLATE "C"), id);

CREATE TABLE list_counts (
    list    TEXT    NOT NULL,
    state   TEXT    NOT NULL,
    n       BIGINT  NOT NULL DEFAULT 0,
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

CREATE FUNCTION list_counts_follow() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'ln_invoices' THEN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE list_counts SET n = n - 1 WHERE list = 'ln_invoices' AND state = OLD.state;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE list_counts SET n = n + 1 WHERE list = 'ln_invoices' AND state = NEW.state;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE list_counts SET n = n + 1 WHERE list = TG_TABLE_NAME AND state = '*';
    ELSE
        UPDATE list_counts SET n = n - 1 WHERE list = TG_TABLE_NAME AND state = '*';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ln_invoices_count_insert_delete AFTER INSERT OR DELETE ON ln_invoices
    FOR EACH ROW EXECUTE FUNCTION list_counts_follow();
CREATE TRIGGER ln_invoices_count_state AFTER UPDATE OF state ON ln_invoices
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION list_counts_follow();
CREATE TRIGGER fatture_count AFTER INSERT OR DELETE ON fatture
    FOR EACH ROW EXECUTE FUNCTION list_counts_follow();
CREATE TRIGGER payments_count AFTER INSERT OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION list_counts_follow();
