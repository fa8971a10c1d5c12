-- accountd migration 012: POST /accounts keeps the fingerprint of the
-- request body that used an Idempotency-Key (SHA-256 hex of its JSON with
-- sorted keys, as the other POSTs' request_keys do): the same key with
-- another body is 422, not the earlier account. Keys from before this
-- migration have none and replay as before.
ALTER TABLE idempotency_keys
  ADD COLUMN request CHAR(64) NULL AFTER account_id;
