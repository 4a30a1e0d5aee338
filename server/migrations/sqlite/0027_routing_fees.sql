-- Routing fees we pay, in EUR (issue 38 §3): each rebalance records its fee's EUR value at the
-- rate in force when it finished, with that rate, its source and its time, so the accounts can
-- list Lightning fees apart from sales. EUR and the rate as decimal text; the fee in EUR keeps
-- 4 decimals (half-up), since a rebalance fee is often well under a cent. NULL: no rate was
-- available then (the fee in msat stays the record). Refunds already record theirs in cents.
ALTER TABLE rebalances ADD COLUMN fee_eur TEXT;
ALTER TABLE rebalances ADD COLUMN fee_eur_per_btc TEXT;
ALTER TABLE rebalances ADD COLUMN fee_rate_source TEXT;
ALTER TABLE rebalances ADD COLUMN fee_rate_at INTEGER;
