-- accountd migration 079: account-closed says which storefronts its
-- people no longer sign in at (round-19 walkthrough of seed 002, D2).
--
-- At a reseller's storefront, GET /api/v1/auth admits the people of the
-- reseller's customers only while their account is not closed (docs/api.md,
-- "Who signs in at a storefront"). A closed customer's contact read
-- "... closed the account ... It is kept until ..." and nothing about the
-- storefront it had signed in at until then.
--
-- {{storefronts}}: the live storefronts whose sign-in the account's people
-- lose with the close, as people of a customer of their reseller ("the
-- storefront of TechSolutions (https://shop.example/techsolutions)";
-- several: "the storefronts of A (...), B (...) and C (...)"); written by
-- accountd, a line left out when there are none.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 069 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{closed_by}} closed the account {{account_name}} (account {{account_id}}). A closed account takes no more changes; a cancelled subscription of it still ends at its term end.\n{{kept}}\nIts people can no longer sign in at {{storefronts}} by their roles here: a reseller''s storefront is for the people of its customers, and a closed account is none of them.\n{{open_children}}\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'account-closed' AND body =
 '{{greeting}}\n\n{{closed_by}} closed the account {{account_name}} (account {{account_id}}). A closed account takes no more changes; a cancelled subscription of it still ends at its term end.\n{{kept}}\n{{open_children}}\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n';
