-- accountd migration 085: relation-ended says whose storefront sign-in the
-- end takes away (round-19 walkthrough of seed 002, D2 follow-up).
--
-- Since round 19 a reseller's storefront admits the people of the
-- reseller's customers only while their customer relation is active
-- (docs/api.md, "Who signs in at a storefront"). The mail of an end still
-- said "Nobody's access to either account changes.", which is false when
-- the partner (or an account above it, for a customer below it) has a live
-- storefront: the customer's people can no longer sign in there by their
-- roles in the customer.
--
-- {{access_note}}: that sentence, written by accountd: "Nobody's roles in
-- either account change, but the people of <customer> can no longer sign
-- in at the storefront of <reseller> (<url>): it is for the reseller's
-- customers." when the end takes a storefront's sign-in away (several:
-- "the storefronts of A (...) and B (...): they are for the resellers'
-- customers."), else the old "Nobody's access to either account
-- changes.", so a mail without a storefront reads exactly as before.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 039 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{ended_by}} of {{ended_by_account}} ended the customer relation {{relation_id}}: {{partner_name}} is no longer the partner (reseller) of {{customer_name}}. {{access_note}}\n\nThe partner may ask for a new relation; the customer''s administrators approve or decline it.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'relation-ended' AND body =
 '{{greeting}}\n\n{{ended_by}} of {{ended_by_account}} ended the customer relation {{relation_id}}: {{partner_name}} is no longer the partner (reseller) of {{customer_name}}. Nobody''s access to either account changes.\n\nThe partner may ask for a new relation; the customer''s administrators approve or decline it.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n';
