-- The outbox rows of an event are written by the database, within the statement that records the
-- event: one PENDING delivery per enabled endpoint whose filter ('*' or a comma-separated list of
-- event types) takes the event's type. No code path can record an event and forget its deliveries,
-- and recording one is a single statement.
CREATE TRIGGER events_queue_deliveries AFTER INSERT ON events
BEGIN
    INSERT INTO webhook_deliveries (event_seq, endpoint, state, next_attempt_ms)
    SELECT NEW.seq, name, 'PENDING', 0 FROM webhook_endpoints
    WHERE enabled = 1
      AND (events = '*' OR (',' || REPLACE(events, ' ', '') || ',') LIKE ('%,' || NEW.type || ',%'));
END;
