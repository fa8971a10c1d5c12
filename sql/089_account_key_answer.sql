-- accountd migration 089: POST /api/v1/accounts keeps, with its
-- Idempotency-Key, the members of its first answer that are not the
-- account itself (round-20 walkthrough of seed 003, D3): `contact` (the
-- contact person's invitation, or their addition at once) and `relation`
-- (the partner -> customer relation the create recorded). A replay
-- answered the account as it is now without them, so a Help Center user
-- who double-clicked "create organization" saw no contact invited and no
-- relation, although both were there.
--
-- answer: that JSON object as the first answer carried it ({"contact":
-- {...}, "relation": {...}}; NULL when it had neither, and for keys kept
-- before this migration, which replay as before). Written in the
-- transaction that finishes the create; read by the statement that reads
-- the key, so a replay makes no statement more.
ALTER TABLE idempotency_keys
  ADD COLUMN answer TEXT NULL AFTER request;
