-- accountd migration 033: the welcome and subscription-change mails say who
-- acted (round-7 walkthroughs of seeds 002 and 004: a customer could not
-- tell that its partner ordered or renewed for it; the cancellation mail
-- said it since migration 025). Only the shipped defaults change.

UPDATE notification_templates SET body =
 'Hello,\n\n{{account_name}} now has {{plan}}:\n{{articles}}\nOrdered by {{acted_by}}.\nYour storefront: {{storefront_url}}\n'
 WHERE account_id IS NULL AND name = 'plan-welcome';
UPDATE notification_templates SET body =
 'Hello,\n\n{{account_name}} now has {{plan}}:\n{{articles}}\nOrdered by {{acted_by}}.\nYour storefront: {{storefront_url}}\nSign in there with the same credentials you use at your distributor''s storefront.\n'
 WHERE account_id IS NULL AND name = 'storefront-welcome';
UPDATE notification_templates SET body =
 'Hello,\n\nThe {{plan}} subscription of {{account_name}} {{change}}. Its term runs until {{ends_at}}.\nChanged by {{acted_by}}.\n'
 WHERE account_id IS NULL AND name = 'subscription-changed';
