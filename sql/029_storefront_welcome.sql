-- accountd migration 029: the storefront's own welcome mail (round-6
-- walkthrough of seed 002; docs/api.md, "Welcome mail"). The seed's
-- "Welcome to Standard Reseller Storefront" is one template among many: a
-- distributor's override of plan-welcome went out with every order, add-ons
-- and customer plans included. An order or upgrade whose plan has a
-- storefront now sends storefront-welcome; every other order plan-welcome.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'storefront-welcome', '{{account_name}}: your {{plan}} storefront is ready',
 'Hello,\n\n{{account_name}} now has {{plan}}:\n{{articles}}\nYour storefront: {{storefront_url}}\nSign in there with the same credentials you use at your distributor''s storefront.\n');

-- A distributor's plan-welcome override that names the storefront URL is
-- about the storefront: it becomes that distributor's storefront-welcome
-- (unless it has one), and plan-welcome returns to the default, so add-on
-- and customer-plan orders no longer get a storefront text without a URL.
-- An override that does not use {{storefront_url}} stays plan-welcome and
-- is not copied: storefront orders get the default storefront text.
INSERT INTO notification_templates (account_id, name, subject, body)
SELECT t.account_id, 'storefront-welcome', t.subject, t.body
  FROM notification_templates t
 WHERE t.account_id IS NOT NULL AND t.name = 'plan-welcome'
   AND t.body LIKE '%{{storefront\_url}}%'
   AND NOT EXISTS (SELECT 1 FROM notification_templates s
                    WHERE s.account_id = t.account_id AND s.name = 'storefront-welcome');
DELETE FROM notification_templates
 WHERE account_id IS NOT NULL AND name = 'plan-welcome' AND body LIKE '%{{storefront\_url}}%';
