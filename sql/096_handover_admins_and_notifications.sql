-- accountd migration 096: the hand-over's mails name the customer's other
-- administrators and where the notifications go (round-22 walkthrough of
-- seed 000, D1 and D2; docs/api.md, "Staging and hand-over").
--
-- D1: the partner added the customer's admin Zoe while staging (the
-- seed's "add users and assign access roles"), then handed the account
-- over to Zack with POST .../transfer. Zack's ownership-transferred read
-- "You are now its administrator ..." and never named Zoe, and Zoe was
-- told nothing. ownership-transferred now names them in
-- {{other_admins}}: "Zoe Zed (zoe@x) is still an administrator of it: the
-- people who prepared it added them, and the hand-over leaves the
-- customer's administrators as they are; you can change that in the
-- account's people." (a line left out when there is none), and each of
-- them gets account-handed-over, as the hand-over by role change tells
-- the customer's admins (no template change: its {{handed_over}} says
-- what happened).
--
-- D2: the hand-over by role change leaves the recipients as they are,
-- and its new owner's texts ({{handed_over}} of account-handed-over, the
-- owner's copy of contact-changed) now say where the notifications go;
-- no template changes for that.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 073 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholder.

UPDATE notification_templates SET body =
 'Hello {{new_owner_name}},\n\nThe account {{account_name}} (account {{account_id}}) has been transferred to you. You are now its administrator and its primary and technical contact, and its notifications go to {{new_owner_mail}}.\n{{other_admins}}\n\n{{providers_note}} An administrator can also name other contacts and notification recipients.\n{{pending_invitations}}\n'
 WHERE account_id IS NULL AND name = 'ownership-transferred' AND body =
 'Hello {{new_owner_name}},\n\nThe account {{account_name}} (account {{account_id}}) has been transferred to you. You are now its administrator and its primary and technical contact, and its notifications go to {{new_owner_mail}}.\n\n{{providers_note}} An administrator can also name other contacts and notification recipients.\n{{pending_invitations}}\n';
