-- Channel events (issue 38 §2): what SubscribeChannelEvents reported about each channel, by its
-- channel point (`txid:index`). `kind` is `opened`, `closed`, `active` or `inactive`; a channel
-- is opened and closed once (the unique index makes a resubscription harmless), and an activity
-- row is only added when the channel's activity changes. `alerted_at_ms` is when the
-- `channel_inactive` webhook went out for an `inactive` row (once per inactive spell).
CREATE TABLE channel_events (
    id                  INTEGER PRIMARY KEY,
    chan_point          TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('opened', 'closed', 'active', 'inactive')),
    chan_id             INTEGER NOT NULL DEFAULT 0,
    remote_pubkey       TEXT    NOT NULL DEFAULT '',
    capacity_sat        INTEGER NOT NULL DEFAULT 0,
    force_close         INTEGER NOT NULL DEFAULT 0,
    close_type          TEXT    NOT NULL DEFAULT '',
    closing_txid        TEXT    NOT NULL DEFAULT '',
    at_ms               INTEGER NOT NULL,
    alerted_at_ms       INTEGER
);
CREATE UNIQUE INDEX channel_events_once ON channel_events (chan_point, kind) WHERE kind IN ('opened', 'closed');
CREATE INDEX channel_events_point ON channel_events (chan_point, id);
