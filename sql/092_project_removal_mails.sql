-- accountd migration 092: a person taken out of a project, or whose
-- project was deleted, is told (round-21 walkthrough of seed 003, D2;
-- docs/api.md, Projects).
--
-- Being removed from a project, or having the project deleted, sent no
-- mail: an end customer whose only access was that project found an empty
-- /me and no word why, while a removal from an account mails
-- member-removed. Seed 003: "Ensure end-customer users only have access to
-- the relevant projects and services."
--
-- Two new templates (defaults only; a distributor or the operator
-- overrides them like the others; both transactional and outside the mail
-- budget, as member-removed is):
--   project-member-removed, to the person a DELETE
--     /projects/{pid}/members/{uid} took out of the project, not when they
--     removed themselves: who did it, the project, its account and the
--     project roles that ended;
--   project-deleted, to each person of a deleted project other than who
--     deleted it, the same.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'project-member-removed', 'You were removed from project "{{project_name}}" in {{account_name}}',
 '{{greeting}}\n\n{{removed_by}} removed you from project "{{project_name}}" of {{account_name}}: your roles there ({{roles}}) ended. You no longer see the project.\n\nIf that was not intended, ask the project''s owners to add you again.\n'),
(NULL, 'project-deleted', 'Project "{{project_name}}" in {{account_name}} was deleted',
 '{{greeting}}\n\n{{deleted_by}} deleted project "{{project_name}}" of {{account_name}}: your roles there ({{roles}}) ended with it. You no longer see the project.\n');
