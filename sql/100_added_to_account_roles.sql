-- accountd migration 100: added-to-account says what happened to a person
-- who already held a role in the account or project (round-23 walkthrough
-- of seed 004, D1: Dora, a member for a while, given billing, read "Anna
-- added you to t23s004 Gadgets as a billing user. Sign in with your
-- existing account to use it", as if she were new there).
--
-- The first line is {{added_line}}, written by accountd
-- (template_added_line, src/template.h): "<inviter> added you to <place>
-- as a billing user." for a person new there, "<inviter> made you a
-- billing user in <place>, where you are already a member: your roles
-- there are now billing and member." for one who held roles there. The
-- sign-in line is {{sign_in_line}}, left out for the latter (they use it
-- already).
--
-- Only the shipped default still as shipped (migration 049) changes; an
-- override (of a distributor or the operator) keeps its text and may use
-- the new placeholders.

UPDATE notification_templates SET body =
 'Hello {{name}},\n\n{{added_line}}\n{{contact_note}}\n{{sign_in_line}}\n'
 WHERE account_id IS NULL AND name = 'added-to-account' AND body =
 'Hello {{name}},\n\n{{inviter_name}} added you to {{account_name}} as {{role_title}}.\n{{contact_note}}\nSign in with your existing account to use it.\n';
