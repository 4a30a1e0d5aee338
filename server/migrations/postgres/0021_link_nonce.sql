-- Reprintable payment links (issue 35): a link's token is derived from the gateway's link key
-- (`payment_link.key` in the data directory) and this per-link random nonce (hex), so the live
-- link can be shown again (the same QR on every PDF); only the token's SHA-256 is still stored.
-- Links made before have no nonce: they keep working but cannot be shown again.
ALTER TABLE payment_links ADD COLUMN token_nonce TEXT;
