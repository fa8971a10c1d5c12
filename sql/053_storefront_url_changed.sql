-- accountd migration 053: a reseller is told when its storefront URL
-- changes because its distributor moved to another storefront host
-- (round-14 walkthrough of seed 002, D1: PUT .../storefront-host moved
-- every reseller's URL, https://<host>/<alias>, and nobody was told; the
-- seed: the reseller "will receive ... a notification email informing them
-- about their new storefront URL"). A distributor or the operator
-- overrides it like the other templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'storefront-url-changed', '{{account_name}}: your storefront URL changed',
 '{{greeting}}\n\nThe storefront URL of {{account_name}} changed from {{old_url}} to {{new_url}}: {{partner_name}} moved its storefronts to another host (changed by {{changed_by}}).\n\nYour storefront, its sign-in included, is now at {{new_url}}. Links to the old URL no longer lead to it: please update the links you gave your customers.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n');
