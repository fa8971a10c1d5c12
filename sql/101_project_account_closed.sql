-- accountd migration 101: closing an account tells the people of its
-- projects who hold no role in the account (round-23 walkthrough of seed
-- 003, D2; docs/api.md, Projects).
--
-- A reseller's account was closed; the end customers in its projects
-- (project-only people) were told nothing, and their projects still
-- looked live. Seed 003: "Ensure end-customer users only have access to
-- the relevant projects and services."
--
-- A new template (default only; a distributor or the operator overrides it
-- like the others; transactional and outside the mail budget, as
-- project-deleted is):
--   project-account-closed, to each person of the closed account's
--     projects who holds no role in the account itself: who closed it,
--     {{projects}} their projects there with their roles, {{kept}} until
--     when they can still read them.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'project-account-closed', '{{account_name}} was closed: its projects take no more changes',
 '{{greeting}}\n\n{{closed_by}} closed the account {{account_name}} (account {{account_id}}), and with it {{projects}}. A closed account and its projects take no more changes: nobody adds or removes people there any more.\n{{kept}}\n\nYou get this mail as a person of a project of {{account_name}}.\n');
