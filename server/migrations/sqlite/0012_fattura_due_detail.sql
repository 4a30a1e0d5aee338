-- How an imported invoice's amount due was found (issue 33): JSON of `fatturapa::DueDetail`
-- (the derivation step by step, the instalments, the bollo as information, a disagreement
-- warning, credit notes applied); empty for invoices added by hand and before this migration.
ALTER TABLE fatture ADD COLUMN due_detail TEXT NOT NULL DEFAULT '';
