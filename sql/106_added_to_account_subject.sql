-- accountd migration 106: the subject of added-to-account says what
-- happened to a person who already held a role in the account or project
-- (round-24 walkthrough of seed 004, D3: Ben, a member, invited as admin,
-- read the subject "You were added to t24s004 Gadgets" above a body that
-- says "made you an administrator in t24s004 Gadgets, where you are
-- already a member", which migration 100 gave the body).
--
-- The subject is {{added_subject}}, written by accountd
-- (template_added_subject, src/template.h): "You were added to <place>"
-- for a person new there, as before, and "Your roles in <place> changed"
-- for one who held roles there.
--
-- Only the shipped default still as shipped (migration 002) changes; an
-- override (of a distributor or the operator) keeps its subject and may
-- use the new placeholder. The file may run again and changes nothing
-- more.

UPDATE notification_templates SET subject = '{{added_subject}}'
 WHERE account_id IS NULL AND name = 'added-to-account'
   AND subject = 'You were added to {{account_name}}';
