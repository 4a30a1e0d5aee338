-- Who made each Lightning invoice: 'pos' for a sale rung up at the shop counter (the POS screen's
-- charge), 'office' for everything else (the CLI, the admin pages, imports). Cashiers may only
-- watch and cancel POS sales, and their live event stream only carries POS sales' events.
-- Invoices made before this migration are all 'office': a cashier cannot see pre-upgrade POS
-- sales (nothing recorded reliably which ones were; the memo is free text anyone can type).
ALTER TABLE ln_invoices ADD COLUMN origin TEXT NOT NULL DEFAULT 'office' CHECK (origin IN ('office', 'pos'));
