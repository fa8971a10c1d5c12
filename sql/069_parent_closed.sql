-- accountd migration 069: closing an account that has open children
-- (round-16 walkthrough of seed 002, D1). The close stays allowed: the
-- children are accounts of their own (docs/operations.md, "Closed
-- accounts"). But nobody there was told, and the closed parent's people
-- kept acting for them. Since then:
-- 1. each open child's named contacts (else its admins) and notification
--    recipients get parent-closed: which account was closed and by whom,
--    that the child and its subscriptions continue, that the parent's
--    people no longer act for it, and where its storefront stays (a line
--    left out when it has no live one);
-- 2. account-closed says how many child accounts stay open
--    ({{open_children}}, a line left out when none). Only the shipped
--    default changes (account_id IS NULL); an override keeps its text and
--    may use the new placeholder.
-- A distributor or the operator overrides parent-closed like the other
-- templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'parent-closed', '{{parent_name}} was closed: {{account_name}} continues',
 '{{greeting}}\n\n{{parent_name}} (account {{parent_id}}), which {{account_name}} (account {{account_id}}) is {{relation}} of, was closed by {{closed_by}}.\n\n{{account_name}} and its subscriptions continue: the close changed nothing of {{account_name}}, and its own people keep their roles.\n\nThe people of {{parent_name}} no longer act for {{account_name}}: they no longer order, upgrade, cancel or renew its subscriptions or read its billing as its back office, and the storefront host of {{parent_name}} can no longer be changed.\nIts storefront stays at {{storefront_url}}, and signing in there keeps working while its subscription runs.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n');

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{closed_by}} closed the account {{account_name}} (account {{account_id}}). A closed account takes no more changes; a cancelled subscription of it still ends at its term end.\n{{kept}}\n{{open_children}}\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'account-closed';
