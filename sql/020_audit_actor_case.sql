-- accountd migration 020: GET /accounts/{id}/audit?actor= matches the uid
-- without regard to case, as uids are matched everywhere else (sign-in,
-- PUT …/members/{uid}, contacts; round-3 walkthrough of seed 000). The
-- audit keeps the uid as it was spelled (utf8mb4_bin); actor_key is its
-- lower case, a virtual column (nothing is rewritten), indexed in place
-- of the uid itself.
ALTER TABLE audit
  ADD COLUMN actor_key VARCHAR(255) AS (LOWER(uid)) VIRTUAL,
  ADD KEY ix_audit_account_actor (account_id, actor_key, id),
  DROP KEY ix_audit_account_uid;
