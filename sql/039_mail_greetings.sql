-- accountd migration 039: the mails' wording for their readers (round-11
-- leftovers of seeds 000 and 001). Only the shipped defaults change
-- (account_id IS NULL); a distributor's override keeps its text and may
-- use the new placeholders.
--
-- 1. Seed 000, D5: every mail that is not an invitation greets its reader
--    with {{greeting}}, "Hello Pat Partner," when the directory knows a
--    person by the reader's address (contacts, admins, providers, a
--    recipient address that is a person's), "Hello," for a bare
--    notification recipient. The invitations keep the names given with
--    the invitation; added-to-account, password-reset and
--    ownership-transferred greeted by name already.
-- 2. Seed 000, D4 and seed 001, O9: no API paths ("GET /api/v1/...") in
--    the mails: their readers use a front end, not curl. What to look for
--    is said in words.
-- 3. Seed 001, O6: the welcome after an upgrade said "Ordered by": the
--    welcomes now say {{acted}}, "Ordered by Bill Buch." after an order,
--    "Upgraded from Starter by Bill Buch." after an upgrade.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{closed_by}} closed the account {{account_name}} (account {{account_id}}). A closed account takes no more changes; a cancelled subscription of it still ends at its term end.\n{{kept}}\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'account-closed';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{changed_by}} changed the {{contact}} contact of {{account_name}} from {{old_name}} to {{new_name}}.\n\nYou get this mail as a named contact or a notification recipient of {{account_name}}. If you did not expect this change, ask {{changed_by}} or another administrator of {{account_name}}: any administrator can name another contact.\n'
 WHERE account_id IS NULL AND name = 'contact-changed';

UPDATE notification_templates SET body =
 'Hello {{new_owner_name}},\n\nThe account {{account_name}} (account {{account_id}}) has been transferred to you. You are now its administrator and its primary and technical contact, and its notifications go to {{new_owner_mail}}.\n\nThe people who prepared it keep access as your service providers, for support. You find them in the account''s list of service providers, where an administrator can end any one''s access at any time; an administrator can also name other contacts and notification recipients.\n'
 WHERE account_id IS NULL AND name = 'ownership-transferred';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{account_name}} now has {{plan}}:\n{{articles}}\n{{acted}}\n{{invoice}}\nYour storefront: {{storefront_url}}\n'
 WHERE account_id IS NULL AND name = 'plan-welcome';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{account_name}} now has {{plan}}:\n{{articles}}\n{{acted}}\n{{invoice}}\nYour storefront: {{storefront_url}}\nSign in there with the same credentials you use at your distributor''s storefront.\n'
 WHERE account_id IS NULL AND name = 'storefront-welcome';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{requested_by}} ({{requested_by_mail}}) of {{account_name}} (account {{account_id}}) asks for a quote:\n{{lines}}\nTotal: {{total}}\n\nThe quote is valid for {{valid_days}} days. You find it as quote {{quote_id}} among the quotes of {{account_name}}; answer {{requested_by}} at {{requested_by_mail}}.\n\nYou get this mail as a contact, an admin or a notification recipient of the account that sells to {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'quote-requested';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{changed_by}} changed the notification recipients of {{account_name}}: {{email}} is no longer one of them, so this is the last notification of {{account_name}} it gets (subscription changes, renewals, contact changes and the like).\n\nThe recipients now: {{recipients}}\n\nIf you did not expect this, ask an administrator of {{account_name}} to add the address again.\n'
 WHERE account_id IS NULL AND name = 'recipient-removed';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{decided_by}} of {{customer_name}} {{decision}} the request of {{account_name}} to become its partner (customer relation {{relation_id}}).\n{{reason}}\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'relation-decided';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{ended_by}} of {{ended_by_account}} ended the customer relation {{relation_id}}: {{partner_name}} is no longer the partner (reseller) of {{customer_name}}. Nobody''s access to either account changes.\n\nThe partner may ask for a new relation; the customer''s administrators approve or decline it.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'relation-ended';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{requested_by}} ({{requested_by_mail}}) asks, for {{partner_name}}, to record a customer relation with {{account_name}} (account {{account_id}}): {{partner_name}} would become your partner (reseller). This grants them no access to your account.\n\nAny administrator of {{account_name}} can approve or decline it: it is request {{relation_id}} among the account''s open partner requests.\n\nIf you do not know {{partner_name}}, decline the request.\n'
 WHERE account_id IS NULL AND name = 'relation-requested';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{withdrawn_by}} of {{partner_name}} withdrew the request to become a partner of {{account_name}} (account {{account_id}}, customer relation {{relation_id}}).\n{{reason}}\nThere is nothing to approve or decline any more: the account''s partner requests show it as withdrawn.\n\nYou get this mail as an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'relation-withdrawn';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{cancelled_by}} cancelled the {{plan}} subscription of {{account_name}}. It stays in service until {{ends_at}} and ends then.\n{{after_end}}\n\nUntil then an administrator or billing user of {{account_name}} can withdraw the cancellation where the account''s subscriptions are listed. After that, continuing needs a new order.\n'
 WHERE account_id IS NULL AND name = 'subscription-cancelled';

UPDATE notification_templates SET body =
 '{{greeting}}\n\nThe {{plan}} subscription of {{account_name}} {{change}}. Its term runs until {{ends_at}}.\nChanged by {{acted_by}}.\n{{invoice}}\n'
 WHERE account_id IS NULL AND name = 'subscription-changed';

UPDATE notification_templates SET body =
 '{{greeting}}\n\nThe term of the {{plan}} subscription of {{account_name}} ends {{ends_at}}: {{next}}.\n'
 WHERE account_id IS NULL AND name = 'subscription-ending';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{new_owner_name}} ({{new_owner_mail}}) accepted the hand-over of {{account_name}} and is now its administrator.\n{{your_access}}\n'
 WHERE account_id IS NULL AND name = 'transfer-completed';
