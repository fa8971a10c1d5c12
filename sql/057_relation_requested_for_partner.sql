-- accountd migration 057: a partner is told when operator staff ask, in
-- its name, for a customer relation (round-15 walkthrough of seed 003, D1:
-- the Help Center found an existing organization and asked for the
-- relation with POST /accounts/{partner}/customer-relations, as seed 003's
-- "contact the Help Center … They will help you create the necessary
-- connection" has it; only the customer was mailed, and the reseller who
-- had asked the Help Center heard nothing until the customer decided).
-- relation-requested-for-partner goes to the partner's contacts (else its
-- admins) and notification recipients, never to the one who asked: who
-- asked ({{requested_by}}: "Olivia Operator (operator staff of <the
-- operator account>)"), for which partner, with which customer, the
-- relation's id, that the customer's admins decide and that the partner
-- is told their decision. A partner's own people asking are not mailed
-- (they know what they asked). Only the shipped default (account_id
-- NULL); a distributor or the operator overrides it like the other
-- templates.
INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'relation-requested-for-partner',
 'A customer relation with {{customer_name}} was requested for {{account_name}}',
 '{{greeting}}\n\n{{requested_by}} asked, for {{account_name}} (account {{account_id}}), to record a customer relation with {{customer_name}} (account {{customer_id}}): {{account_name}} would become its partner (reseller). Customer relation {{relation_id}} is pending.\n\nThe administrators of {{customer_name}} were asked and decide: they approve or decline the request, and {{account_name}} is told their decision by mail. Until then an administrator of {{account_name}} may withdraw the request, among the customer relations of {{account_name}}.\n\nA relation grants {{account_name}} no access to {{customer_name}}.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n');
