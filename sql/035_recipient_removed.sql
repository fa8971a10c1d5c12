-- accountd migration 035: an address taken off an account's notification
-- recipients is told so (round-8 walkthrough of seed 000, D3: a service
-- provider could replace the customer's recipients with its own address,
-- and the customer's address simply stopped getting mail). A distributor
-- or the operator overrides it like the other templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'recipient-removed', '{{account_name}}: this address no longer gets its notifications',
 'Hello,\n\n{{changed_by}} changed the notification recipients of {{account_name}}: {{email}} is no longer one of them, so this is the last notification of {{account_name}} it gets (subscription changes, renewals, contact changes and the like).\n\nThe recipients now: {{recipients}}\n\nIf you did not expect this, ask an administrator of {{account_name}} to add the address again.\n');
