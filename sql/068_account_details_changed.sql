-- accountd migration 068: the named contacts (else the admins) are told
-- when the account's name or company data change (round-16 walkthrough of
-- seed 004, D1: an admin who is no named contact renamed the account and
-- gave it another billing address, and the contacts first read of it in
-- the next invoice mail). Who changed what, old and new per field; only
-- a PATCH that changes the name or the company data (not properties, not
-- one that leaves every value as it was). The caller's own address gets
-- no copy. A distributor or the operator overrides it like the other
-- templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'account-details-changed', '{{account_name}}: the account''s details were changed',
 '{{greeting}}\n\n{{changed_by}} changed the details of {{account_name}}:\n\n{{changes}}\n\nInvoices and the account''s mail use the new details from now on.\n\nIf you did not expect this change, ask an administrator of {{account_name}}: any administrator can change them back.\n\nYou get this mail as a named contact of {{account_name}}, or as one of its administrators while it has no other named contact.\n');
