-- accountd migration 005: one change, two stores (docs/operations.md).
--
-- Every change that writes LDAP is recorded here as an intent BEFORE its
-- first LDAP write: what it will write (`plan`: the person, the roles
-- before and after, whether it creates a person or the account's entries)
-- and what the SQL side records when it is done (`data`: the audit row,
-- the mail, the invitation). The request finishes the intent in the short
-- transaction that writes those rows (state 'done'), or undoes its LDAP
-- writes and marks it 'undone'. An intent a crash or an outage left 'open'
-- is finished or undone by `accountd maint`, which writes the outcome to
-- the audit trail.
--
-- accounts.intent_id is the account's guard: at most one open intent per
-- account. It is taken in a short transaction before LDAP is read for the
-- change's checks (last admin, contacts) and given back by the transaction
-- that finishes the intent; no SQL lock is ever held across an LDAP call.

CREATE TABLE ldap_intents (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id  BIGINT UNSIGNED NOT NULL,
  kind        VARCHAR(32) NOT NULL, -- set-roles, add-member, accept, create-account, contact (saga.h)
  state       ENUM('open','done','undone') NOT NULL DEFAULT 'open',
  actor       VARCHAR(255) NOT NULL,
  plan        JSON NULL CHECK (plan IS NULL OR JSON_VALID(plan)),
  data        JSON NULL CHECK (data IS NULL OR JSON_VALID(data)),
  outcome     VARCHAR(255) NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  finished_at DATETIME(6) NULL,
  KEY ix_ldap_intents_state (state, created_at),
  KEY ix_ldap_intents_account (account_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE accounts
  ADD COLUMN intent_id BIGINT UNSIGNED NULL AFTER ldap_state;
