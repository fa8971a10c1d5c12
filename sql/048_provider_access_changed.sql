-- accountd migration 048: a service provider is told when the customer
-- sets or moves the end of their access, or ends it (round-13 walkthrough
-- of seed 000, N3: support "after you transfer account ownership" simply
-- stopped one day with 403, and the provider could not read their own end
-- date). A distributor or the operator overrides it like the other
-- templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'provider-access-changed', '{{account_name}}: your service-provider access {{change}}',
 '{{greeting}}\n\n{{changed_by}} changed your service-provider access to {{account_name}}: it {{change}}.\n\nIf you did not expect this, ask an administrator of {{account_name}}.\n');
