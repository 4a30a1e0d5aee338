-- The day's figures and the daily closing (issue 36) find the counter's sales by the time they
-- were paid (an unpaid attempt by when it was rung up: pos_sales_created already covers that,
-- and a sale's refunds refunds_invoice) and the succeeded refunds by when they finished: these
-- two indexes answer them without a full scan.
CREATE INDEX ln_invoices_settled ON ln_invoices (settled_at);
CREATE INDEX refunds_finished ON refunds (state, finished_at);
