-- accountd migration 055: the sender of an ordinary admin invitation to a
-- staged account is told when it is accepted (round-15 walkthrough of seed
-- 000, D2: the partner who followed the seed's "invite your customer as
-- Administration, then change your role to Service Provider" got 409
-- last-admin until the customer accepted, and nothing told them when that
-- was). Only for a staged account: other accepts mail nobody, as before.
-- A distributor or the operator overrides it like the other templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'invitation-accepted', '{{account_name}}: {{name}} accepted your invitation',
 '{{greeting}}\n\n{{name}} ({{email}}) accepted your invitation and is now an administrator of {{account_name}}.\n\nTo hand the account over, change your own role to service provider: {{account_name}} then becomes active and its customer''s, and you keep access as a service provider. Until then it stays staged.\n\nYou get this mail because you invited {{name}} to {{account_name}} as an administrator.\n');
