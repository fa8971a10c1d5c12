-- accountd migration 086: invitation-accepted says the hand-over's step to
-- the provider's side only (round-20 walkthrough of seed 000, D2).
--
-- A customer admin of a staged account who invited a second admin was
-- mailed, when that admin accepted, "To hand the account over, change your
-- own role to service provider: ...". The step is the provider's (the
-- parent's people; operator staff on an account without a parent), and a
-- customer admin who followed it handed the account over with the partner
-- still its admin (D1, fixed in accountd: a customer admin's own role
-- change is an ordinary one while a person of the parent stays admin).
-- {{handover_step}} now carries that paragraph: the same sentence as
-- before for a sender of the provider's side; for a customer admin "<the
-- account> stays staged until the people who prepare it for you hand it
-- over; then it becomes active."
--
-- Only the shipped default changes, and only while it is still the text
-- migration 055 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{name}} ({{email}}) accepted your invitation and is now an administrator of {{account_name}}.\n\n{{handover_step}}\n\nYou get this mail because you invited {{name}} to {{account_name}} as an administrator.\n'
 WHERE account_id IS NULL AND name = 'invitation-accepted' AND body =
 '{{greeting}}\n\n{{name}} ({{email}}) accepted your invitation and is now an administrator of {{account_name}}.\n\nTo hand the account over, change your own role to service provider: {{account_name}} then becomes active and its customer''s, and you keep access as a service provider. Until then it stays staged.\n\nYou get this mail because you invited {{name}} to {{account_name}} as an administrator.\n';
