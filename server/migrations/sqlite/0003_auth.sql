-- Staff accounts, their browser sessions and the sign-in throttle.
-- Times: unix seconds.

-- One row per staff member. `password_hash` is an argon2id PHC string (never the password).
CREATE TABLE users (
    username            TEXT    PRIMARY KEY,
    role                TEXT    NOT NULL CHECK (role IN ('admin', 'cashier')),
    password_hash       TEXT    NOT NULL,
    created_at          INTEGER NOT NULL
);

-- Signed-in browsers. Only the SHA-256 of the cookie token is stored, so a copy of the database
-- cannot be used to sign in.
CREATE TABLE sessions (
    token_sha256        TEXT    PRIMARY KEY,
    username            TEXT    NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);

-- Consecutive failed sign-ins per key ('user:<name>' or 'ip:<address>'), and until when the key is locked.
CREATE TABLE login_throttle (
    key                 TEXT    PRIMARY KEY,
    failures            INTEGER NOT NULL,
    locked_until        INTEGER NOT NULL
);
