-- accountd migration 072: two lines of subscription-cancelled for a
-- reseller plan with a storefront (round-17 walkthrough of seed 002, D3).
--
-- The cancellation mail said that the reseller returns to Basic and that
-- its storefront URL stops working, and that continuing needs a new order.
-- It did not say what the seed says of the term end: "neither the Standard
-- Reseller nor the sub-customers will be able to log in", and the
-- storefront's data, such as its alias and settings, "are retained in the
-- database temporarily" (DESIGN.md: "Coming back means a new subscription;
-- the kept alias is theirs again").
--
-- {{storefront_url}}: the line saying that from the end on neither the
-- reseller nor its customers sign in there. {{retention_period}}: the line
-- saying how long the alias and the storefront's settings are kept after
-- the end ("90 days", the config's storefront_retention_days) and that an
-- order of a plan with a storefront within that time brings them back.
-- Both lines are left out for any other plan (a customer plan, add-ons),
-- the second also when storefront_retention_days is 0.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 039 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholders.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{cancelled_by}} cancelled the {{plan}} subscription of {{account_name}}. It stays in service until {{ends_at}} and ends then.\n{{after_end}}\nFrom then on neither {{account_name}} nor its customers can sign in at {{storefront_url}}.\n\nUntil then an administrator or billing user of {{account_name}} can withdraw the cancellation where the account''s subscriptions are listed. After that, continuing needs a new order.\nThe storefront''s alias and settings are kept for {{retention_period}} after the end: an order of a plan with a storefront within that time brings them back; after that the alias is free for another reseller.\n'
 WHERE account_id IS NULL AND name = 'subscription-cancelled' AND body =
 '{{greeting}}\n\n{{cancelled_by}} cancelled the {{plan}} subscription of {{account_name}}. It stays in service until {{ends_at}} and ends then.\n{{after_end}}\n\nUntil then an administrator or billing user of {{account_name}} can withdraw the cancellation where the account''s subscriptions are listed. After that, continuing needs a new order.\n';
