-- Session housekeeping (issue 30, item 16). `seq`: the order of a user's sign-ins (1, 2, 3… per
-- user; 0 for sessions from before this migration), so the oldest session is the one evicted
-- when a new sign-in goes beyond the per-user cap, even within one second. The index on
-- `expires_at` serves the periodic purge of expired sessions.
ALTER TABLE sessions ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sessions_expiry ON sessions (expires_at);
