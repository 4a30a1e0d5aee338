-- Sign-in throttle keyed per (user, client address) with a soft per-user delay (issue 30, items 4–5).
-- `username`: the user a row is about ('' for a client-address row), so `openfatture user unlock`
-- can clear a user's rows. `updated_at`: unix seconds of the last attempt, from which failures decay.
ALTER TABLE login_throttle ADD COLUMN username TEXT NOT NULL DEFAULT '';
ALTER TABLE login_throttle ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX login_throttle_user ON login_throttle (username);
