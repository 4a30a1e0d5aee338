-- Several gateways on one database: a webhook worker claims an outbox row before sending it, so
-- each attempt happens once. A claim lapses at claimed_until_ms (its holder died or hung).
ALTER TABLE webhook_deliveries ADD COLUMN claimed_until_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_attempts ADD COLUMN worker TEXT;  -- which gateway's dispatcher made the attempt
CREATE INDEX webhook_deliveries_endpoint_order ON webhook_deliveries (endpoint, state, event_seq);
