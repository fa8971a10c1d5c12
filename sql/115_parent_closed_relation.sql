-- accountd migration 115: parent-closed calls a customer the closed
-- account's customer only while their relation is active (round-26
-- walkthrough of seed 003, D2).
--
-- The first sentence said "<parent> (account 26), which <child> (account
-- 30) is a customer of, was closed" by the child's kind and parent link,
-- also after the customer had ended the relation herself (and a new
-- request was just withdrawn by the close): it contradicted the other
-- mail of the same close and her own relation list.
--
-- {{parent_relation}}: the clause that ties the child to the closed
-- parent, written by accountd: "which <child> (account 30) is a customer
-- of" while the customer's relation with it is active (any other kind of
-- child: "which <child> (account 40) is a reseller of", by {{relation}}
-- as before), else "under which <child> (account 30) was created".
-- {{relation}} keeps its meaning for overrides that use it.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 103 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and may
-- use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{parent_name}} (account {{parent_id}}), {{parent_relation}}, was closed by {{closed_by}}.\n\n{{account_name}} and its subscriptions continue: the close changed nothing of {{account_name}}, and the roles people hold in it are unchanged.\n{{parent_people}}\nThe back office of {{distributor_name}} for {{account_name}} ends: by their roles in {{distributor_name}}, its people no longer order, upgrade, cancel or renew the subscriptions of {{account_name}} or read its billing, and the storefront host of {{distributor_name}} can no longer be changed.\nIts storefront stays at {{storefront_url}}, and signing in there keeps working while its subscription runs.\nThe people of {{account_name}} can still sign in at the storefront of {{parent_name}} at {{parent_storefront}}, and no longer after that.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'parent-closed' AND body =
 '{{greeting}}\n\n{{parent_name}} (account {{parent_id}}), which {{account_name}} (account {{account_id}}) is {{relation}} of, was closed by {{closed_by}}.\n\n{{account_name}} and its subscriptions continue: the close changed nothing of {{account_name}}, and the roles people hold in it are unchanged.\n{{parent_people}}\nThe back office of {{distributor_name}} for {{account_name}} ends: by their roles in {{distributor_name}}, its people no longer order, upgrade, cancel or renew the subscriptions of {{account_name}} or read its billing, and the storefront host of {{distributor_name}} can no longer be changed.\nIts storefront stays at {{storefront_url}}, and signing in there keeps working while its subscription runs.\nThe people of {{account_name}} can still sign in at the storefront of {{parent_name}} at {{parent_storefront}}, and no longer after that.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n';
