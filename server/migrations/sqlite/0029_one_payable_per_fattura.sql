-- Never two payable Lightning invoices for one fattura (issue 35), enforced by the database so
-- that two gateways sharing it cannot both make one: at most one office invoice of a fattura is
-- PENDING or OPEN. A new attempt retires the OPEN one in the same transaction that records it
-- (and the node cancels it after the commit); a PENDING one is another create in flight, so the
-- insert is refused instead (see server/src/store/ln_invoices.rs).
-- A database that already holds several payable attempts of one fattura keeps the newest and
-- marks the older ones CANCELED here; their node invoices are left to expire, and a payment that
-- still lands on one of them is credited like any other (a settlement is recorded whatever the
-- stored state).
UPDATE ln_invoices SET state = 'CANCELED', cancelled_by_us = 1
WHERE fattura_id IS NOT NULL AND origin = 'office' AND state IN ('PENDING', 'OPEN')
  AND attempt < (SELECT MAX(newer.attempt) FROM ln_invoices AS newer
                 WHERE newer.fattura_id = ln_invoices.fattura_id AND newer.origin = 'office'
                   AND newer.state IN ('PENDING', 'OPEN'));
CREATE UNIQUE INDEX ln_invoices_one_payable ON ln_invoices (fattura_id)
WHERE fattura_id IS NOT NULL AND origin = 'office' AND state IN ('PENDING', 'OPEN');
