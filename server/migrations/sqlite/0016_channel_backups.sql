-- Static channel backups (issue 38 §1): every multi-channel backup (SCB) the node streamed, with
-- when it came and the channel points it covers (one `txid:index` a line); the newest N are kept
-- (`lightning_backup_keep`). The packed backup is kept as hex.
CREATE TABLE channel_backups (
    id                  INTEGER PRIMARY KEY,
    taken_at_ms         INTEGER NOT NULL,
    chan_points         TEXT    NOT NULL,
    packed_hex          TEXT    NOT NULL,
    sha256_hex          TEXT    NOT NULL
);
