-- accountd migration 077: contact-changed says why its new readers get it
-- (round-18 walkthrough of seed 004, D1; docs/api.md, "Contacts").
--
-- An admin named themselves primary contact while the old primary was
-- unset (an LDAP administrator had taken the admin role away), and the
-- mail went to them alone: the technical contact, the customer's other
-- named contact, heard nothing. A contact change now also goes to the
-- contact of the other kind, and, when the old, the new and the other
-- contact leave nobody but the person who made the change, to the
-- account's other administrators (as recipients-added goes to the named
-- contacts, else the admins). Those administrators are no named contact
-- and no notification recipient: the line that tells the reader why they
-- get the mail names them too, as recipients-added's does.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 049 left (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{changed_by}} changed the {{contact}} contact of {{account_name}} from {{old_name}} to {{new_name}}.\n\nYou get this mail as a named contact or a notification recipient of {{account_name}}, or as one of its administrators while it has no other named contact. {{if_unexpected}}\n'
 WHERE account_id IS NULL AND name = 'contact-changed' AND body =
 '{{greeting}}\n\n{{changed_by}} changed the {{contact}} contact of {{account_name}} from {{old_name}} to {{new_name}}.\n\nYou get this mail as a named contact or a notification recipient of {{account_name}}. {{if_unexpected}}\n';
