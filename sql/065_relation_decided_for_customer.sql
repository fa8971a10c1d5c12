-- accountd migration 065: the round-16 walkthrough of seed 003, D1
-- (docs/api.md, "Customer relations").
--
-- relation-decided-by-operator told a customer's admins that operator staff
-- had decided a partner's relation request on its behalf. Since round 16 it
-- also tells them when a person of an account above the customer (the
-- reseller that created it, and so is its admin) decides for it; its text
-- said "operator staff may act for any account", which is false for them.
-- The wording is now generic: {{decided_by}} names either ("Olivia
-- Operator (operator staff of <the operator account>)", "Rita Reseller of
-- <her partner>"), and the mail says that its administrators may remove
-- people of other organizations from its members. The template keeps its
-- name. Only the shipped default that is still the text of migration 046
-- (account_id NULL) is changed; overrides stay as they are.
UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{decided_by}} {{decision}} the request of {{partner_name}} to become the partner (reseller) of {{account_name}} (account {{account_id}}, customer relation {{relation_id}}), on behalf of {{account_name}}: the decision was made for {{account_name}} from outside it, by operator staff or by a person of an account above it (such as the partner that created it), not by one of its own administrators.\n\nA relation grants {{partner_name}} no access to {{account_name}}. An administrator of {{account_name}} may end an approved relation at any time, among the customer relations of {{account_name}}; after a decline {{partner_name}} may ask again. Its administrators decide who holds a role in {{account_name}}: they may remove people of other organizations from its members.\n\nYou get this mail as an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'relation-decided-by-operator' AND body =
 '{{greeting}}\n\n{{decided_by}} {{decision}} the request of {{partner_name}} to become the partner (reseller) of {{account_name}} (account {{account_id}}, customer relation {{relation_id}}), on behalf of {{account_name}}: operator staff may act for any account, and none of the administrators of {{account_name}} made this decision.\n\nA relation grants {{partner_name}} no access to {{account_name}}. An administrator of {{account_name}} may end an approved relation at any time, among the customer relations of {{account_name}}; after a decline {{partner_name}} may ask again.\n\nYou get this mail as an admin or a notification recipient of {{account_name}}.\n';
