-- accountd migration 025: every billing mail's subject names its account,
-- invitations say the role in words (stop-18 leftovers), and mails say who
-- acted (round-6 walkthroughs; docs/api.md, "Invitations, contacts and
-- notifications"). A partner's people and
-- notification recipients get these mails for many accounts: "Welcome to
-- Standard" did not say whose. Only the shipped defaults (account_id NULL)
-- change: a distributor's override stays as it is.

UPDATE notification_templates SET subject = '{{account_name}}: welcome to {{plan}}'
 WHERE account_id IS NULL AND name = 'plan-welcome';
UPDATE notification_templates SET subject = '{{account_name}}: the {{plan}} subscription is cancelled as of {{ends_at}}'
 WHERE account_id IS NULL AND name = 'subscription-cancelled';
UPDATE notification_templates SET subject = '{{account_name}}: the {{plan}} subscription {{change}}'
 WHERE account_id IS NULL AND name = 'subscription-changed';
UPDATE notification_templates SET subject = '{{account_name}}: the {{plan}} subscription''s term ends {{ends_at}}'
 WHERE account_id IS NULL AND name = 'subscription-ending';

-- {{role_title}}: "as an administrator" instead of "as admin", "as a
-- service provider" instead of "as service-provider".
UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{inviter_name}} invites you to join {{account_name}} as {{role_title}}.\n{{contact_note}}\n\nAccept the invitation here (the link works once and expires {{expires_at}}):\n{{link}}\n\nIf you did not expect this invitation, ignore this e-mail.\n'
 WHERE account_id IS NULL AND name = 'invitation';
UPDATE notification_templates SET body =
 'Hello {{name}},\n\n{{inviter_name}} added you to {{account_name}} as {{role_title}}.\nSign in with your existing account to use it.\n'
 WHERE account_id IS NULL AND name = 'added-to-account';

-- Who changed the contact ({{changed_by}}): the replaced contact can tell
-- a colleague from a stranger (seed 004's reason for the mail).
UPDATE notification_templates SET body =
 'Hello,\n\n{{changed_by}} changed the {{contact}} contact of {{account_name}} from {{old_name}} to {{new_name}}.\n\nYou get this mail as a named contact or a notification recipient of {{account_name}}. If you did not expect this change, ask {{changed_by}} or another administrator of {{account_name}}: any administrator can name another contact.\n'
 WHERE account_id IS NULL AND name = 'contact-changed';

-- A cancellation is pending until its term end: who cancelled, what
-- follows ({{after_end}}, a line left out when nothing does), how to undo.
UPDATE notification_templates SET body =
 'Hello,\n\n{{cancelled_by}} cancelled the {{plan}} subscription of {{account_name}}. It stays in service until {{ends_at}} and ends then.\n{{after_end}}\n\nUntil then an administrator or billing user of {{account_name}} can withdraw the cancellation:\n  POST /api/v1/subscriptions/{{subscription_id}}/uncancel\nAfter that, continuing needs a new order.\n'
 WHERE account_id IS NULL AND name = 'subscription-cancelled';

-- The one who asks may be platform staff, not one of the partner's people:
-- "for <partner>", not "of <partner>".
UPDATE notification_templates SET body =
 'Hello,\n\n{{requested_by}} ({{requested_by_mail}}) asks, for {{partner_name}}, to record a customer relation with {{account_name}} (account {{account_id}}): {{partner_name}} would become your partner (reseller). This grants them no access to your account.\n\nAn administrator of {{account_name}} approves or declines request {{relation_id}}:\n  POST /api/v1/customer-relations/{{relation_id}}/approve\n  POST /api/v1/customer-relations/{{relation_id}}/decline\nGET /api/v1/accounts/{{account_id}}/customer-relations?status=pending lists the open requests.\n\nIf you do not know {{partner_name}}, decline the request.\n'
 WHERE account_id IS NULL AND name = 'relation-requested';

-- The hand-over's mails say what follows (round-6 walkthroughs of seeds
-- 000 and 004): the new owner is told they are the contacts and get the
-- notifications, who keeps access and how to end it; the replaced
-- notification recipients get the "handed over" mail too, with
-- {{your_access}} saying their mail for the account ends.
UPDATE notification_templates SET body =
 'Hello {{new_owner_name}},\n\nThe account {{account_name}} (account {{account_id}}) has been transferred to you. You are now its administrator and its primary and technical contact, and its notifications go to {{new_owner_mail}}.\n\nThe people who prepared it keep access as your service providers, for support. GET /api/v1/accounts/{{account_id}}/service-providers lists them; an administrator ends one''s access with DELETE /api/v1/accounts/{{account_id}}/service-providers/<uid>, and can name other contacts and notification recipients.\n'
 WHERE account_id IS NULL AND name = 'ownership-transferred';
UPDATE notification_templates SET body =
 'Hello,\n\n{{new_owner_name}} ({{new_owner_mail}}) accepted the hand-over of {{account_name}} and is now its administrator.\n{{your_access}}\n'
 WHERE account_id IS NULL AND name = 'transfer-completed';
