-- The client's email or PEC from an imported FatturaPA file (issue 35 §3): the
-- CessionarioCommittente's `Contatti/Email`, else `DatiTrasmissione/PECDestinatario`; the back
-- office's share form starts from it. NULL for invoices added by hand and before this migration.
ALTER TABLE fatture ADD COLUMN client_email TEXT;
