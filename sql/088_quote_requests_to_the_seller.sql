-- accountd migration 088: the seller reads the quote requests made to it
-- (round-20 walkthrough of seed 001, D3).
--
-- quote-requested told the seller's contact "You find it as quote 3 among
-- the quotes of <the customer>", where she got 403 (a partner's admin who
-- is no member of the customer), and the seller's own quotes were empty.
--
-- 1. quotes.seller_id: the account a quote was requested from (the
--    requesting account's parent when it was requested, the account its
--    quote-requested mail went to; NULL for an account without a parent),
--    so that GET /accounts/{seller}/quote-requests reads them from an
--    index. Quotes requested before get their account's parent.
-- 2. quote-requested says that the mail holds the whole request, and
--    where the seller's administrators, service providers and billing
--    people find it: "request 3 among the quote requests to <the seller>"
--    ({{seller_name}}, a new placeholder); only where the shipped body is
--    still the one migration 071 left (a default row edited in the
--    database keeps its text); a distributor's or the operator's override
--    keeps its text and may use the new placeholder.
--
-- The file may run again and changes nothing more.

ALTER TABLE quotes
  ADD COLUMN IF NOT EXISTS seller_id BIGINT UNSIGNED NULL AFTER account_id,
  ADD KEY IF NOT EXISTS ix_quotes_seller (seller_id, id),
  ADD CONSTRAINT fk_quotes_seller FOREIGN KEY IF NOT EXISTS (seller_id) REFERENCES accounts (id);

UPDATE quotes q JOIN accounts a ON a.id = q.account_id
   SET q.seller_id = a.parent_id
 WHERE q.seller_id IS NULL AND a.parent_id IS NOT NULL;

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{requested_by}} ({{requested_by_mail}}) asks for a quote for {{account_name}} (account {{account_id}}):\n{{lines}}\nTotal: {{total}}\n\nThe quote is valid for {{valid_days}} days. This mail holds the whole request: answer {{requested_by}} at {{requested_by_mail}}. The administrators, service providers and billing people of {{seller_name}} also find it as request {{quote_id}} among the quote requests to {{seller_name}}.\n\nYou get this mail as a contact, an admin or a notification recipient of {{seller_name}}, which sells to {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'quote-requested' AND body =
 '{{greeting}}\n\n{{requested_by}} ({{requested_by_mail}}) asks for a quote for {{account_name}} (account {{account_id}}):\n{{lines}}\nTotal: {{total}}\n\nThe quote is valid for {{valid_days}} days. You find it as quote {{quote_id}} among the quotes of {{account_name}}; answer {{requested_by}} at {{requested_by_mail}}.\n\nYou get this mail as a contact, an admin or a notification recipient of the account that sells to {{account_name}}.\n';
