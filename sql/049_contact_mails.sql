-- accountd migration 049: contact and member mails (round-14 walkthroughs
-- of seeds 000 and 004; docs/api.md, "Contacts" and "People and roles").
--
-- 1. Seed 000 D1, seed 004 D1: contact-changed ended "If you did not
--    expect this change, ask {{changed_by}} or another administrator of
--    {{account_name}}: ...", also in the copy of the person who made the
--    change (who was told to ask themselves) and after the seed's
--    hand-over by role change, whose maker is a service provider and no
--    administrator any more. That sentence is now {{if_unexpected}},
--    rendered per reader: "You made this change." for who made it, the
--    old sentence for the others while the maker is an admin of the
--    account, else "ask an administrator of <account>: ...; <maker> is
--    not an administrator of <account>."
-- 2. Seed 004 D3: added-to-account carries {{contact_note}}, as the
--    invitation does: the account's contact person added at once on
--    POST /accounts reads what being its contact means; the line is left
--    out for anyone else.
--
-- Only a shipped default still as shipped changes; an override (of a
-- distributor or the operator) keeps its text and may use the new
-- placeholders.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{changed_by}} changed the {{contact}} contact of {{account_name}} from {{old_name}} to {{new_name}}.\n\nYou get this mail as a named contact or a notification recipient of {{account_name}}. {{if_unexpected}}\n'
 WHERE account_id IS NULL AND name = 'contact-changed' AND body =
 '{{greeting}}\n\n{{changed_by}} changed the {{contact}} contact of {{account_name}} from {{old_name}} to {{new_name}}.\n\nYou get this mail as a named contact or a notification recipient of {{account_name}}. If you did not expect this change, ask {{changed_by}} or another administrator of {{account_name}}: any administrator can name another contact.\n';

UPDATE notification_templates SET body =
 'Hello {{name}},\n\n{{inviter_name}} added you to {{account_name}} as {{role_title}}.\n{{contact_note}}\nSign in with your existing account to use it.\n'
 WHERE account_id IS NULL AND name = 'added-to-account' AND body =
 'Hello {{name}},\n\n{{inviter_name}} added you to {{account_name}} as {{role_title}}.\nSign in with your existing account to use it.\n';
