-- accountd migration 040: the relation budget (round-11 leftover of seed
-- 001; docs/api.md, "Relation budget") counts a partner's relation
-- requests of the last hour: the relation.request rows of its audit trail
-- (a first request and each time a pair is asked again). This index
-- serves that count, as ix_outbox_budget (migration 004) serves the mail
-- budget's, so it reads the rows of the window only, not the account's
-- whole audit trail.
ALTER TABLE audit ADD KEY ix_audit_account_action (account_id, action, at);
