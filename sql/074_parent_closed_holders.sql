-- accountd migration 074: what parent-closed says of the closed parent's
-- people (round-18 walkthrough of seed 001, D1 and D2).
--
-- When a partner was closed, each open child was told "The people of
-- <partner> no longer act for <child>: they no longer order, upgrade,
-- cancel or renew its subscriptions or read its billing as its back
-- office, and the storefront host of <partner> can no longer be changed."
-- None of it was true of a partner: the partner's person who created a
-- child is its admin (LineMetrics: the creator becomes admin) and keeps
-- every right there, in one case as the child's only admin; a partner has
-- no back office (round 17) and no storefront host. The sentence was
-- written for a distributor's back office, the parent roles that end with
-- the close.
--
-- {{parent_people}}: who of the closed parent still holds roles in the
-- child, with their roles, and that they keep them until an administrator
-- of the child removes them under its people (and, when they are its only
-- administrators, that one of its own people must be made administrator
-- first); a line left out when nobody of the parent holds a role there,
-- whatever the parent's kind. {{distributor_name}}: the closed parent's
-- name when it is a distributor, in the line that says its back office for
-- the child ends and its storefront host can no longer be changed; left out
-- for any other parent. "its own people keep their roles" becomes "the
-- roles people hold in it are unchanged", true of the parent's people too.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 069 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and may
-- use the new placeholders. account-closed's {{open_children}} line is
-- written by accountd (src/role_holders.c) and says the same.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{parent_name}} (account {{parent_id}}), which {{account_name}} (account {{account_id}}) is {{relation}} of, was closed by {{closed_by}}.\n\n{{account_name}} and its subscriptions continue: the close changed nothing of {{account_name}}, and the roles people hold in it are unchanged.\n{{parent_people}}\nThe back office of {{distributor_name}} for {{account_name}} ends: by their roles in {{distributor_name}}, its people no longer order, upgrade, cancel or renew the subscriptions of {{account_name}} or read its billing, and the storefront host of {{distributor_name}} can no longer be changed.\nIts storefront stays at {{storefront_url}}, and signing in there keeps working while its subscription runs.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'parent-closed' AND body =
 '{{greeting}}\n\n{{parent_name}} (account {{parent_id}}), which {{account_name}} (account {{account_id}}) is {{relation}} of, was closed by {{closed_by}}.\n\n{{account_name}} and its subscriptions continue: the close changed nothing of {{account_name}}, and its own people keep their roles.\n\nThe people of {{parent_name}} no longer act for {{account_name}}: they no longer order, upgrade, cancel or renew its subscriptions or read its billing as its back office, and the storefront host of {{parent_name}} can no longer be changed.\nIts storefront stays at {{storefront_url}}, and signing in there keeps working while its subscription runs.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n';
