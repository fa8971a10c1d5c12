-- accountd migration 063: two mails of the seed-000 hand-over (round-16
-- walkthrough of seed 000).
--
-- D2: a hand-over by a role change that names no contact (the contacts
-- were the customer's already, or several customer admins remain, of whom
-- accountd names none) told the new owner nothing: account-handed-over
-- says what happened ({{handed_over}}: "<by> handed <account> over to
-- you: it is now active and <by> is a service provider.", or how the
-- change did it) and what the administrator may do now. A new template
-- rather than ownership-transferred, which says the reader is both named
-- contacts and gets the notifications: a hand-over by role change makes
-- neither so.
--
-- D4: provider-access-changed read "your service-provider access was
-- ended: you no longer have access" and "<by> changed your
-- service-provider access to <account>: it was ended: ...". Its body now
-- takes the whole sentence ({{what_changed}}: "<by> ended your
-- service-provider access to <account>: you no longer have access.",
-- "<by> set the end of your service-provider access to <account>: it ends
-- on <time>.", "<by> removed the end of ...: it no longer ends."), and
-- {{change}} is "was ended" for a revocation, so the subject reads "your
-- service-provider access was ended"; the body's last line asks
-- {{changed_by}} or another administrator. Only the shipped default changes;
-- an override keeps its text ({{change}} and {{what_changed}} are both
-- filled).

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'account-handed-over', '{{account_name}} was handed over to you',
 '{{greeting}}\n\n{{handed_over}}\n\nAs its administrator you name its primary and technical contacts and its notification recipients, and you can end a service provider''s access in its list of service providers at any time.\n\nYou get this mail as an administrator of {{account_name}}.\n');

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{what_changed}}\n\nIf you did not expect this, ask {{changed_by}} or another administrator of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'provider-access-changed'
   AND body = '{{greeting}}\n\n{{changed_by}} changed your service-provider access to {{account_name}}: it {{change}}.\n\nIf you did not expect this, ask an administrator of {{account_name}}.\n';
