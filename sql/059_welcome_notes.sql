-- accountd migration 059: two lines of storefront-welcome (round-15
-- walkthrough of seed 002).
--
-- {{moved_note}} (D5): an upgrade or an order whose storefront_alias moved
-- the reseller's storefront to a new alias (the old alias free at once,
-- for another reseller to take) mailed only the new URL. The line names
-- the old URL and says that it no longer leads to the storefront, as
-- storefront-url-changed does for a host change; left out when the
-- storefront kept its alias.
--
-- {{cancellation_note}} (D2): the late welcome of a contact who joins
-- after the order, while the subscription is pending cancellation, said
-- only "your storefront is ready". The line says that the subscription is
-- cancelled as of its end, that the storefront stops working then, and
-- that an administrator of the account can withdraw the cancellation until
-- then; left out otherwise (and in every other welcome).
--
-- Only the shipped default changes, and only while it is still the text
-- migration 039 shipped (a default row edited in the database keeps its
-- text); a distributor's override keeps its text and may use the new
-- placeholders. plan-welcome is sent only without a storefront, and the
-- late welcome is always storefront-welcome, so plan-welcome keeps its
-- text (it may use both placeholders; they are left out there).

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{account_name}} now has {{plan}}:\n{{articles}}\n{{acted}}\n{{invoice}}\nYour storefront: {{storefront_url}}\n{{moved_note}}\nSign in there with the same credentials you use at your distributor''s storefront.\n{{cancellation_note}}\n'
 WHERE account_id IS NULL AND name = 'storefront-welcome' AND body =
 '{{greeting}}\n\n{{account_name}} now has {{plan}}:\n{{articles}}\n{{acted}}\n{{invoice}}\nYour storefront: {{storefront_url}}\nSign in there with the same credentials you use at your distributor''s storefront.\n';
