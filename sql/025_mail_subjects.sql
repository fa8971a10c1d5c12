-- accountd migration 025: every billing mail's subject names its account,
-- and invitations say the role in words (stop-18 leftovers; docs/api.md,
-- "Invitations, contacts and notifications"). A partner's people and
-- notification recipients get these mails for many accounts: "Welcome to
-- Standard" did not say whose. Only the shipped defaults (account_id NULL)
-- change: a distributor's override stays as it is.

UPDATE notification_templates SET subject = '{{account_name}}: welcome to {{plan}}'
 WHERE account_id IS NULL AND name = 'plan-welcome';
UPDATE notification_templates SET subject = '{{account_name}}: the {{plan}} subscription is cancelled'
 WHERE account_id IS NULL AND name = 'subscription-cancelled';
UPDATE notification_templates SET subject = '{{account_name}}: the {{plan}} subscription {{change}}'
 WHERE account_id IS NULL AND name = 'subscription-changed';
UPDATE notification_templates SET subject = '{{account_name}}: the {{plan}} subscription''s term ends {{ends_at}}'
 WHERE account_id IS NULL AND name = 'subscription-ending';

-- {{role_title}}: "as an administrator" instead of "as admin", "as a
-- service provider" instead of "as service-provider".
UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{inviter_name}} invites you to join {{account_name}} as {{role_title}}.\n\nAccept the invitation here (the link works once and expires {{expires_at}}):\n{{link}}\n\nIf you did not expect this invitation, ignore this e-mail.\n'
 WHERE account_id IS NULL AND name = 'invitation';
UPDATE notification_templates SET body =
 'Hello {{name}},\n\n{{inviter_name}} added you to {{account_name}} as {{role_title}}.\nSign in with your existing account to use it.\n'
 WHERE account_id IS NULL AND name = 'added-to-account';
