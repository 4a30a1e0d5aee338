-- The outbox rows of an event are written by the database, within the statement that records the
-- event: one PENDING delivery per enabled endpoint whose filter ('*' or a comma-separated list of
-- event types) takes the event's type. It also tells every listening gateway (channel
-- openfatture_events, payload the event's seq) when the transaction commits.
CREATE FUNCTION events_queue_deliveries() RETURNS trigger AS $$
BEGIN
    INSERT INTO webhook_deliveries (event_seq, endpoint, state, next_attempt_ms)
    SELECT NEW.seq, name, 'PENDING', 0 FROM webhook_endpoints
    WHERE enabled = 1
      AND (events = '*' OR (',' || REPLACE(events, ' ', '') || ',') LIKE ('%,' || NEW.type || ',%'));
    PERFORM pg_notify('openfatture_events', NEW.seq::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER events_queue_deliveries AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_queue_deliveries();
