-- The numbered daily closings of the counter (issue 36, chiusura / Z-report). One numbering for
-- the shop (1, 2, 3, ...), whether the closing is of the whole shop (till_name '') or of one till.
-- A day is closed either for the whole shop or till by till, never both; the figures are stored
-- as the JSON of `pos day --json` at the closing. A sale belongs to the business day whose
-- [covers_from, covers_until) holds its moment (settled_at when paid, created_at otherwise); a
-- closing made during its own day covers until its closing time, so later sales go to the next
-- day. Closings are immutable: the triggers below refuse updates and deletes.
CREATE TABLE closings (
    number              INTEGER PRIMARY KEY,
    business_date       TEXT    NOT NULL,           -- YYYY-MM-DD on shop_timezone's clock
    till_name           TEXT    NOT NULL DEFAULT '', -- '' = the whole shop
    timezone            TEXT    NOT NULL,
    covers_from         INTEGER NOT NULL,
    covers_until        INTEGER NOT NULL,
    closed_at           INTEGER NOT NULL,
    closed_by           TEXT    NOT NULL,
    figures             TEXT    NOT NULL,
    UNIQUE (business_date, till_name)
);
CREATE TRIGGER closings_no_update BEFORE UPDATE ON closings
BEGIN
    SELECT RAISE(ABORT, 'closings are immutable');
END;
CREATE TRIGGER closings_no_delete BEFORE DELETE ON closings
BEGIN
    SELECT RAISE(ABORT, 'closings are immutable');
END;
