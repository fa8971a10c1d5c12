-- accountd migration 030: a quote request reaches the seller (round-6
-- walkthrough of seed 004: "request quotes" was stored and nobody heard of
-- it). The parent account's named contacts (else its admins) and its
-- notification recipients get quote-requested; a distributor or the
-- operator overrides it like the other templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'quote-requested', '{{account_name}} asks for a quote ({{total}})',
 'Hello,\n\n{{requested_by}} ({{requested_by_mail}}) of {{account_name}} (account {{account_id}}) asks for a quote:\n{{lines}}\nTotal: {{total}}\n\nThe quote is valid for {{valid_days}} days. Read it with\n  GET /api/v1/accounts/{{account_id}}/quotes/{{quote_id}}\nand answer {{requested_by}} at {{requested_by_mail}}.\n\nYou get this mail as a contact, an admin or a notification recipient of the account that sells to {{account_name}}.\n');
