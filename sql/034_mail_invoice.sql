-- accountd migration 034: the welcome and subscription-change mails name
-- the invoice the change wrote (stop-19 leftover: "the welcome and renewal
-- mails do not name the invoice"): {{invoice}} is "Invoice INV-2026-000012
-- bills 29.90 EUR: GET /api/v1/accounts/7/invoices lists it.", a line left
-- out when the change
-- wrote no invoice (a renewal with nothing to bill, a withdrawn
-- cancellation). Only the shipped defaults change; a distributor's
-- override may add {{invoice}} itself.

UPDATE notification_templates SET body =
 'Hello,\n\n{{account_name}} now has {{plan}}:\n{{articles}}\nOrdered by {{acted_by}}.\n{{invoice}}\nYour storefront: {{storefront_url}}\n'
 WHERE account_id IS NULL AND name = 'plan-welcome';
UPDATE notification_templates SET body =
 'Hello,\n\n{{account_name}} now has {{plan}}:\n{{articles}}\nOrdered by {{acted_by}}.\n{{invoice}}\nYour storefront: {{storefront_url}}\nSign in there with the same credentials you use at your distributor''s storefront.\n'
 WHERE account_id IS NULL AND name = 'storefront-welcome';
UPDATE notification_templates SET body =
 'Hello,\n\nThe {{plan}} subscription of {{account_name}} {{change}}. Its term runs until {{ends_at}}.\nChanged by {{acted_by}}.\n{{invoice}}\n'
 WHERE account_id IS NULL AND name = 'subscription-changed';
