-- accountd migration 090: a used password-reset link is told (round-20
-- walkthrough of seed 004, D2; docs/api.md, "Password resets").
--
-- Once a reset link was used nobody heard of it: not the person, whose
-- password someone with a forwarded mail, a shared mailbox or a mail
-- client's link scanner may have set, and not the named contact who
-- asked, who could tell only from the audit trail. Seed 004: "the two
-- named account holders are the only users authorized to ... request the
-- reset of any passwords ... to protect your account and prevent any
-- social engineering attacks".
--
-- 1. password_resets.requested_as: the capacity that let who asked ask,
--    'contact' (a named contact of the account) or 'operator' (operator
--    staff who are none), as the password-reset mail named them
--    (migration 047); the password-changed mail names them so. A link
--    asked for before this migration has NULL: its asker is named by name
--    alone.

ALTER TABLE password_resets
  ADD COLUMN IF NOT EXISTS requested_as ENUM('contact','operator') NULL AFTER requested_by;

-- 2. Two new templates (defaults only; a distributor or the operator
--    overrides them like the others; both transactional and outside the
--    mail budget):
--    password-changed, to the person at their own address when the link
--    is used: when, with whose link, and whom to ask for a new one if it
--    was not them;
--    password-reset-used, to who asked (a named contact or operator
--    staff, while they still hold a role in the account or are operator
--    staff; not when they are the person): one line, that it was used.
--
-- The contact person's {{contact_note}} (invitation, added-to-account;
-- round-20 walkthrough of seed 004, D4) is written by accountd
-- (src/template.h), not stored in a template: its new wording needs no
-- row changed here.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'password-changed', 'The password of {{uid}} was set',
 '{{greeting}}\n\nThe password of your user {{uid}} was set at {{set_at}} with the reset link that {{requested_by}} asked for on {{requested_at}}. From now on only the new password works.\n\nIf this was not you, someone else used the link mailed to you: ask {{requested_by_name}} or a named contact of {{account_name}} at once for a new reset link.\n'),
(NULL, 'password-reset-used', '{{account_name}}: the password reset for {{uid}} was used',
 '{{greeting}}\n\nThe password reset you asked for {{name}} ({{uid}}) in {{account_name}} on {{requested_at}} was used: a new password was set at {{set_at}}.\n');
