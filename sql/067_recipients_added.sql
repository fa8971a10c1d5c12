-- accountd migration 067: the named contacts (else the admins) are told
-- when addresses are added to the account's notification recipients
-- (round-16 walkthrough of seed 004, D1: an admin who is no named contact
-- added an outside address, which then got every invoice and account
-- mail, and nobody was told). Who added which address(es), what those
-- addresses now get, and who can take them off. The caller's own address
-- gets no copy. A distributor or the operator overrides it like the other
-- templates; an address taken off keeps recipient-removed (migration 035).

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'recipients-added', '{{account_name}}: addresses were added to the notification recipients',
 '{{greeting}}\n\n{{changed_by}} added {{added}} to the notification recipients of {{account_name}}. From now on they get the account''s transactional mail: subscription changes, renewals and invoices, contact changes and the like.\n\nThe recipients now: {{recipients}}\n\nIf you did not expect this, an administrator of {{account_name}} can remove them from the notification recipients.\n\nYou get this mail as a named contact of {{account_name}}, or as one of its administrators while it has no other named contact.\n');
