-- accountd migration 014: invitations to a project (STACKIT method 2,
-- docs/api.md "Projects"). A project invitation gives the person who
-- accepts it one role in one project of the account (its owner, editor or
-- reader group) and no role in the account itself.
--
-- At most one pending invitation per account, project (none for an
-- account invitation) and address: pending_scope is the project's id, 0
-- for an account invitation, NULL once the invitation is no longer
-- pending (like pending_email). project_id has no foreign key: the
-- retention purge deletes a closed account's projects and keeps its
-- invitations (revoked) as history; an accept checks that the project is
-- still there.
ALTER TABLE invitations
  MODIFY COLUMN purpose ENUM('member','transfer','project') NOT NULL DEFAULT 'member',
  ADD COLUMN project_id BIGINT UNSIGNED NULL AFTER purpose,
  ADD COLUMN pending_scope BIGINT UNSIGNED
    AS (IF(status = 'pending', IFNULL(project_id, 0), NULL)) PERSISTENT,
  ADD UNIQUE KEY uq_invitations_pending_scope (account_id, pending_email, pending_scope);

ALTER TABLE invitations DROP INDEX uq_invitations_pending;
