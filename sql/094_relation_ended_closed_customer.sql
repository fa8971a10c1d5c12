-- accountd migration 094: relation-ended does not offer a new relation
-- with a closed customer (round-21 walkthrough of seed 003, D3).
--
-- Closing a customer organization now ends its active customer relations
-- and tells each partner with relation-ended (docs/api.md, "Customer
-- relations"). The shipped text said "The partner may ask for a new
-- relation; the customer's administrators approve or decline it." in
-- every copy, which is false for a closed customer: asking again is 409
-- "the customer organization is closed; it cannot take a relation".
--
-- {{again_note}}: that sentence, written by accountd, or for a closed
-- customer "<customer> is closed: it takes no new relation.".
--
-- Only the shipped default changes, and only while it is still the text
-- migration 085 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{ended_by}} of {{ended_by_account}} ended the customer relation {{relation_id}}: {{partner_name}} is no longer the partner (reseller) of {{customer_name}}. {{access_note}}\n\n{{again_note}}\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'relation-ended' AND body =
 '{{greeting}}\n\n{{ended_by}} of {{ended_by_account}} ended the customer relation {{relation_id}}: {{partner_name}} is no longer the partner (reseller) of {{customer_name}}. {{access_note}}\n\nThe partner may ask for a new relation; the customer''s administrators approve or decline it.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n';
