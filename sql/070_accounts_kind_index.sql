-- accountd migration 070: the operator account found by an index.
-- account_ancestors (every mail that names its actor "X of <org>", through
-- mail_actor_name) adds the operator account to an account's chain with
-- "kind = 'operator' AND ldap_state = 'done'"; without an index on kind
-- that read every account (10,000 rows of the bench's scale data, ~8 ms
-- per mail-sending write; docs/performance.md, "The write pair").
CREATE INDEX ix_accounts_kind_state ON accounts (kind, ldap_state);
