-- accountd migration 083: two mails of the seed-000 hand-over (round-19
-- walkthrough of seed 000).
--
-- D1 and D4: a hand-over by a role change that someone other than the
-- partner's person made (the customer's admin demoting or removing them)
-- told that person nothing, while their last mail said the account "stays
-- staged" until they change their own role; and in the seed's own
-- self-demotion a partner colleague who stays admin was not told either.
-- handed-over-to-customer goes to each of the partner's people the
-- hand-over changed or left admin, but who made it: {{handed_over}} what
-- happened ("Xena Xi made you a service provider of X, which handed it
-- over to its customer: it is now active."), {{your_access}} what it
-- leaves them ("You keep access as a service provider. ...", "You no
-- longer have access to it.", "You are still one of its administrators:
-- ..."). A new template rather than transfer-completed, which says that
-- the customer "accepted the hand-over": here nobody accepted anything.
--
-- D3: after the hand-over a service provider gave the service-provider
-- role to an outside address, and the customer's contacts heard nothing.
-- provider-granted tells the named contacts (else the admins) who gave it
-- to whom, how, what a service provider may do, and who can end it.
--
-- New defaults only; nothing else changes. A distributor or the operator
-- overrides them like the other templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'handed-over-to-customer', '{{account_name}} was handed over to its customer',
 '{{greeting}}\n\n{{handed_over}}\n\n{{your_access}}\n\nYou get this mail as one of the people who prepared {{account_name}} for its customer.\n'),
(NULL, 'provider-granted', '{{account_name}}: a service provider was added',
 '{{greeting}}\n\n{{granted_by}} made {{granted_to}} a service provider of {{account_name}}, {{how}}. A service provider may configure the account, manage its people who are not administrators and read its subscriptions, invoices and quotes; they cannot change its administrators, contacts or ownership, or cancel.\n\n{{granted_by}} is a service provider of {{account_name}}, not one of its administrators. If you did not expect this, an administrator of {{account_name}} can end that access at any time in the account''s list of service providers.\n\nYou get this mail as a named contact of {{account_name}}, or as one of its administrators while it has no other named contact.\n');
