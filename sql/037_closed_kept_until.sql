-- accountd migration 037: the account-closed mail says until when the
-- closed account is kept (round-9 walkthrough of seed 001: the overview
-- shows kept_until since round 8, the mail did not). {{kept}} is a line
-- of its own. Only the shipped default changes.

UPDATE notification_templates SET body =
 'Hello,\n\n{{closed_by}} closed the account {{account_name}} (account {{account_id}}). A closed account takes no more changes; a cancelled subscription of it still ends at its term end.\n{{kept}}\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'account-closed';
