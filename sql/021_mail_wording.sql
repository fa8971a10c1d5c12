-- accountd migration 021: mail wording from the round-3 walkthroughs
-- (seeds 000, 001, 003, 004; docs/api.md, "Invitations, contacts and
-- notifications"). Only the shipped defaults (account_id NULL) change:
-- a distributor's override stays as it is, and every placeholder it may
-- use still has its value.

-- Invitations greet the invitee by the names given with the invitation
-- ({{greeting}}: "Hello Clara Kundin," or "Hello," without names).
UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{inviter_name}} invites you to join {{account_name}} as {{role}}.\n\nAccept the invitation here (the link works once and expires {{expires_at}}):\n{{link}}\n\nIf you did not expect this invitation, ignore this e-mail.\n'
 WHERE account_id IS NULL AND name = 'invitation';

-- The contacts are administrators themselves: no "contact your administrator".
UPDATE notification_templates SET body =
 'Hello,\n\nThe {{contact}} contact of {{account_name}} changed from {{old_name}} to {{new_name}}.\n\nYou get this mail as a named contact or a notification recipient of {{account_name}}. If you did not expect this change, check the account''s administrators and contacts: any administrator of {{account_name}} can name another contact.\n'
 WHERE account_id IS NULL AND name = 'contact-changed';

-- The customer's own account id in the paths, and who asked.
UPDATE notification_templates SET body =
 'Hello,\n\n{{requested_by}} ({{requested_by_mail}}) of {{partner_name}} asks to record a customer relation with {{account_name}} (account {{account_id}}): {{partner_name}} would become your partner (reseller). This grants them no access to your account.\n\nAn administrator of {{account_name}} approves or declines request {{relation_id}}:\n  POST /api/v1/customer-relations/{{relation_id}}/approve\n  POST /api/v1/customer-relations/{{relation_id}}/decline\nGET /api/v1/accounts/{{account_id}}/customer-relations?status=pending lists the open requests.\n\nIf you do not know {{partner_name}}, decline the request.\n'
 WHERE account_id IS NULL AND name = 'relation-requested';

-- An order of add-ons only is no plan: {{plan}} names the articles then,
-- and {{articles}} lists every article with its quantity.
UPDATE notification_templates SET body =
 'Hello,\n\n{{account_name}} now has {{plan}}:\n{{articles}}\nYour storefront: {{storefront_url}}\n'
 WHERE account_id IS NULL AND name = 'plan-welcome';

INSERT INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'transfer-invitation', '{{account_name}} was prepared for you',
 '{{greeting}}\n\n{{inviter_name}} prepared the account {{account_name}} for you. Activate it to take it over: when you accept, {{account_name}} becomes yours and you become its administrator. The people who prepared it keep access as your service providers, for support; you can revoke that at any time.\n\nActivate your account here (the link works once and expires {{expires_at}}):\n{{link}}\n\nThen sign in to manage {{account_name}}.\n\nIf you did not expect this e-mail, ignore it.\n'),
(NULL, 'account-closed', '{{account_name}} was closed',
 'Hello,\n\n{{closed_by}} closed the account {{account_name}} (account {{account_id}}). A closed account takes no more changes; a cancelled subscription of it still ends at its term end.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'),
(NULL, 'relation-decided', '{{customer_name}} {{decision}} your relation request',
 'Hello,\n\n{{decided_by}} of {{customer_name}} {{decision}} the request of {{account_name}} to become its partner (customer relation {{relation_id}}).\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n');
