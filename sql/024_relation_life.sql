-- accountd migration 024: a customer relation's life after the request
-- (stop-18 leftover of seed 003; docs/api.md, "Customer relations"): the
-- partner withdraws a pending request, an admin of either side ends an
-- active relation, and a pair whose relation was declined, withdrawn or
-- ended is asked again on its one row (the UNIQUE pair stays).
--
-- decided_by/decided_at keep who approved, declined or withdrew the
-- request; ending an active relation keeps them (who approved it) and
-- records who ended it and when in ended_by/ended_at. Asking again clears
-- both.
ALTER TABLE customer_relations
  MODIFY status ENUM('pending','active','declined','withdrawn','ended') NOT NULL,
  ADD COLUMN ended_by VARCHAR(255) NULL AFTER decided_at,
  ADD COLUMN ended_at DATETIME(6) NULL AFTER ended_by;

-- The customer's admins and notification recipients, who were told of the
-- request, learn that it was withdrawn (by the partner, or because the
-- partner's account was closed: {{reason}}, a line of its own, left out
-- when there is none).
INSERT INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'relation-withdrawn', '{{partner_name}} withdrew its relation request to {{account_name}}',
 'Hello,\n\n{{withdrawn_by}} of {{partner_name}} withdrew the request to become a partner of {{account_name}} (account {{account_id}}, customer relation {{relation_id}}).\n{{reason}}\nThere is nothing to approve or decline any more. GET /api/v1/accounts/{{account_id}}/customer-relations lists the relations of {{account_name}}.\n\nYou get this mail as an admin or a notification recipient of {{account_name}}.\n'),
-- The other side of an active relation learns that it ended.
(NULL, 'relation-ended', 'The customer relation between {{partner_name}} and {{customer_name}} ended',
 'Hello,\n\n{{ended_by}} of {{ended_by_account}} ended the customer relation {{relation_id}}: {{partner_name}} is no longer the partner (reseller) of {{customer_name}}. Nobody''s access to either account changes.\n\nThe partner may ask for a new relation; the customer''s administrators approve or decline it.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n');

-- The partner whose customer's account was closed learns why its request
-- was declined ({{reason}}, left out of a decision the customer made).
UPDATE notification_templates SET body =
 'Hello,\n\n{{decided_by}} of {{customer_name}} {{decision}} the request of {{account_name}} to become its partner (customer relation {{relation_id}}).\n{{reason}}\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'relation-decided';
