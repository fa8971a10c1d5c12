-- accountd migration 019: when an account was handed over to its customer
-- (docs/api.md, "Staging and hand-over"): by the customer's accept of
-- POST …/transfer, or by the self-demotion hand-over. The parent's back
-- office ("parent's admin, billing" in the route table) ends there: a
-- partner's people act in a handed-over account only by the roles they
-- hold in it (round-3 walkthrough of seed 000, D1). The router reads the
-- column with the account row it reads anyway (caller_authorize).
ALTER TABLE accounts
  ADD COLUMN handed_over_at DATETIME(6) NULL AFTER status;

-- Accounts handed over before this migration: by the transfer record ...
UPDATE accounts a
  JOIN account_transfers t ON t.account_id = a.id
   SET a.handed_over_at = t.completed_at
 WHERE t.completed_at IS NOT NULL AND a.handed_over_at IS NULL;

-- ... and by the audit trail (the self-demotion hand-over has no transfer
-- record; both ways write transfer.complete).
UPDATE accounts a
  JOIN (SELECT account_id, MIN(at) AS at FROM audit
         WHERE action = 'transfer.complete' AND account_id IS NOT NULL
         GROUP BY account_id) x ON x.account_id = a.id
   SET a.handed_over_at = x.at
 WHERE a.handed_over_at IS NULL;
