-- accountd migration 076: member-removed names the project roles a
-- removal from the account took, or left (round-18 walkthrough of seed
-- 003, D1).
--
-- DELETE /accounts/{id}/members/{uid} now takes the person out of the
-- account's projects in the same change (refused 409 last-owner while
-- they are a project's only owner); a PUT of their account roles, also to
-- none, leaves their project roles as they are. {{projects_note}}, a line
-- of its own, says which: "Your roles in its projects ended with it:
-- "Kunde Vier ERP" (reader)." after a DELETE, "Your roles in its projects
-- stay as they were: …" after a PUT with no roles; the line is left out
-- when the person held no project role there. A removal that took project
-- roles is mailed also when the person's address was no notification
-- recipient (before, only a recipient was told).
--
-- Only the shipped default changes, and only while it is still the text
-- migration 061 left (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{changed_by}} removed you from {{account_name}}: you no longer hold a role there, and {{email}} no longer gets its notifications (subscription changes, renewals, contact changes and the like). This is the last notification of {{account_name}} it gets.\n{{projects_note}}\n\nIf you did not expect this, {{changed_by}} can tell you why.\n'
 WHERE account_id IS NULL AND name = 'member-removed' AND body =
 '{{greeting}}\n\n{{changed_by}} removed you from {{account_name}}: you no longer hold a role there, and {{email}} no longer gets its notifications (subscription changes, renewals, contact changes and the like). This is the last notification of {{account_name}} it gets.\n\nIf you did not expect this, {{changed_by}} can tell you why.\n';
