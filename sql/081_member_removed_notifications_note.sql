-- accountd migration 081: member-removed says that the address no longer
-- gets the account's notifications only when it was one of its
-- notification recipients (round-19 walkthrough of seed 003, D3).
--
-- Since migration 076 a removal that takes a person's project roles
-- (DELETE /accounts/{id}/members/{uid}) mails them also when their
-- address was no recipient, and the mail told an end customer who never
-- got the account's mail that their address "no longer gets its
-- notifications (subscription changes, renewals, contact changes and the
-- like). This is the last notification of ... it gets." Those sentences
-- move to {{notifications_note}}, a line of its own that accountd fills
-- only for an address the recipients list held ("<address> no longer
-- gets the notifications of <account> (subscription changes, renewals,
-- contact changes and the like): this is the last one it gets.") and
-- leaves out otherwise; the first sentence says only that they were
-- removed.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 076 left (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{changed_by}} removed you from {{account_name}}: you no longer hold a role there.\n{{notifications_note}}\n{{projects_note}}\n\nIf you did not expect this, {{changed_by}} can tell you why.\n'
 WHERE account_id IS NULL AND name = 'member-removed' AND body =
 '{{greeting}}\n\n{{changed_by}} removed you from {{account_name}}: you no longer hold a role there, and {{email}} no longer gets its notifications (subscription changes, renewals, contact changes and the like). This is the last notification of {{account_name}} it gets.\n{{projects_note}}\n\nIf you did not expect this, {{changed_by}} can tell you why.\n';
