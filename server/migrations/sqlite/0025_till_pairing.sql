-- Tablet pairing (issue 36): an admin makes a one-time pairing code for a till; a POS enters it
-- once and gets a device token in a long-lived cookie; every sale from that device then goes to
-- the paired till. Codes and tokens are stored as SHA-256 hex only.
CREATE TABLE till_pairing_codes (
    code_digest         TEXT    PRIMARY KEY,
    till_id             INTEGER NOT NULL REFERENCES tills (id) ON DELETE CASCADE,
    created_by          TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,                -- unix seconds; valid 10 minutes
    used_at             INTEGER                          -- unix seconds; NULL while unused
);

CREATE TABLE till_devices (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    till_id             INTEGER NOT NULL REFERENCES tills (id) ON DELETE CASCADE,
    token_digest        TEXT    NOT NULL UNIQUE,
    paired_by           TEXT    NOT NULL,                -- the cashier signed in on the tablet
    created_at          INTEGER NOT NULL,
    last_seen_at        INTEGER NOT NULL,
    revoked_at          INTEGER                          -- NULL while paired
);
CREATE INDEX till_devices_till ON till_devices (till_id);
