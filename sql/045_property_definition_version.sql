-- accountd migration 045: a property definition has a version of its own
-- (round-12 walkthrough of seed 001, D2): two partner admins editing the
-- same definition ("Tabelle bearbeiten") in two tabs lost each other's
-- options without a word. Its ETag ("p<id>.<version>") and a form's
-- _version guard PATCH and DELETE as the account's guard the account.

ALTER TABLE property_definitions
  ADD COLUMN version BIGINT UNSIGNED NOT NULL DEFAULT 1 AFTER required;
