-- Event names move from a CHECK list on events.type to a reference table, so adding an event
-- never needs a schema change: the store inserts every name it knows into event_types each time
-- it opens the database (INSERT … ON CONFLICT DO NOTHING), and events.type is a foreign key to
-- it. about_invoice says whether events of that type name an invoice; the rule "an event names
-- an invoice exactly when its type is about one" (before: liquidity_alert ⇔ ln_invoice_id = '')
-- is checked by a trigger against that column.
CREATE TABLE event_types (
    name                TEXT    PRIMARY KEY,
    about_invoice       BIGINT  NOT NULL CHECK (about_invoice IN (0, 1))
);
INSERT INTO event_types (name, about_invoice) VALUES
    ('invoice_created', 1),
    ('payment_received', 1),
    ('payment_failed', 1),
    ('invoice_cancelled', 1),
    ('liquidity_alert', 0);

-- Both CHECK constraints of events (the type list, and liquidity_alert ⇔ no invoice) go; their
-- names were chosen by PostgreSQL, so they are looked up rather than spelled out.
DO $$
DECLARE
    check_name TEXT;
BEGIN
    FOR check_name IN
        SELECT conname FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'c'
    LOOP
        EXECUTE format('ALTER TABLE events DROP CONSTRAINT %I', check_name);
    END LOOP;
END;
$$;
ALTER TABLE events ADD CONSTRAINT events_type_known FOREIGN KEY (type) REFERENCES event_types (name);

CREATE FUNCTION events_type_fits() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM event_types
               WHERE name = NEW.type AND about_invoice <> (CASE WHEN NEW.ln_invoice_id <> '' THEN 1 ELSE 0 END)) THEN
        RAISE EXCEPTION 'CHECK constraint failed: events.ln_invoice_id must be set exactly for event types about an invoice';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER events_type_fits BEFORE INSERT OR UPDATE OF type, ln_invoice_id ON events
    FOR EACH ROW EXECUTE FUNCTION events_type_fits();
