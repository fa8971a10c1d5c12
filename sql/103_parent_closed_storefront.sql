-- accountd migration 103: parent-closed tells a closed reseller's customers
-- until when they still sign in at its storefront (round-23 walkthrough of
-- seed 002, D3).
--
-- A reseller closed while its subscription is pending cancellation keeps
-- its storefront to the term end, and its customers' people keep signing
-- in there (docs/api.md, "Who signs in at a storefront"). Its customers'
-- parent-closed said what continues but nothing of that storefront, while
-- a closed distributor's resellers read their own storefront's line.
--
-- {{parent_storefront}}: the closed parent's own live storefront and when
-- the subscription that keeps it live ends ("https://shop.example/bea until
-- 2027-12-01T04:15:36Z, when its subscription ends"), written by accountd
-- for a child whose people it admits as its customers; a line left out
-- otherwise.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 074 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and may
-- use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{parent_name}} (account {{parent_id}}), which {{account_name}} (account {{account_id}}) is {{relation}} of, was closed by {{closed_by}}.\n\n{{account_name}} and its subscriptions continue: the close changed nothing of {{account_name}}, and the roles people hold in it are unchanged.\n{{parent_people}}\nThe back office of {{distributor_name}} for {{account_name}} ends: by their roles in {{distributor_name}}, its people no longer order, upgrade, cancel or renew the subscriptions of {{account_name}} or read its billing, and the storefront host of {{distributor_name}} can no longer be changed.\nIts storefront stays at {{storefront_url}}, and signing in there keeps working while its subscription runs.\nThe people of {{account_name}} can still sign in at the storefront of {{parent_name}} at {{parent_storefront}}, and no longer after that.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'parent-closed' AND body =
 '{{greeting}}\n\n{{parent_name}} (account {{parent_id}}), which {{account_name}} (account {{account_id}}) is {{relation}} of, was closed by {{closed_by}}.\n\n{{account_name}} and its subscriptions continue: the close changed nothing of {{account_name}}, and the roles people hold in it are unchanged.\n{{parent_people}}\nThe back office of {{distributor_name}} for {{account_name}} ends: by their roles in {{distributor_name}}, its people no longer order, upgrade, cancel or renew the subscriptions of {{account_name}} or read its billing, and the storefront host of {{distributor_name}} can no longer be changed.\nIts storefront stays at {{storefront_url}}, and signing in there keeps working while its subscription runs.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n';
