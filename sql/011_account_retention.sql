-- accountd migration 011: closed accounts are kept account_retention_days
-- (accountd.conf), then `accountd maint` purges their access and personal
-- data (docs/operations.md "Closed accounts"): the row stays, marked here.
ALTER TABLE accounts
  ADD COLUMN purged_at DATETIME(6) NULL AFTER closed_at,
  ADD KEY ix_accounts_closed (status, closed_at);
