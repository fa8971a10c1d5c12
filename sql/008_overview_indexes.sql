-- accountd migration 008: the partner's overview table (GET /accounts?
-- parent_id=P, issue 8) reads only the page, from an index in the page's
-- order, instead of every child of the partner.
--
-- The table sorts by bytes (docs/api.md: text bytewise, UTF-8 code points):
-- kind and status by their names (not by the ENUM's order), plan with no
-- plan as '', names as their bytes, so that 'Acme' sorts before 'Acme '
-- (utf8mb4_bin is a PAD SPACE collation and would call them equal). These
-- byte keys are virtual columns (computed, stored only in their index);
-- each index ends with id, the tie-breaker of the keyset cursor.
ALTER TABLE accounts
  ADD COLUMN name_key VARBINARY(800) AS (CAST(name AS BINARY)) VIRTUAL,
  ADD COLUMN kind_key VARBINARY(16) AS (CAST(kind AS BINARY)) VIRTUAL,
  ADD COLUMN status_key VARBINARY(16) AS (CAST(status AS BINARY)) VIRTUAL,
  ADD COLUMN plan_key VARBINARY(128) AS (CAST(IFNULL(plan, '') AS BINARY)) VIRTUAL,
  DROP KEY ix_accounts_parent_name,
  ADD KEY ix_accounts_parent_name_key (parent_id, name_key, id),
  ADD KEY ix_accounts_parent_kind_key (parent_id, kind_key, id),
  ADD KEY ix_accounts_parent_status_key (parent_id, status_key, id),
  ADD KEY ix_accounts_parent_plan_key (parent_id, plan_key, id),
  ADD KEY ix_accounts_parent_created (parent_id, created_at, id);
