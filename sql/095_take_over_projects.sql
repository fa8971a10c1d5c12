-- accountd migration 095: removed-by-parent after the take-over of a
-- former colleague's projects, the invitations that stop working without
-- one, and the remover's own copy in the second person (round-22
-- walkthrough of seed 001, D1-D4; docs/api.md, "The parent's admins
-- remove a former colleague from the accounts they created").
--
-- D1: the parent's admin who takes the place of the account's last
-- administrator now also takes it as the owner of each project whose only
-- owner the person removed was; {{projects_taken}} names them ("Ben
-- Partner was the only owner of "Dachsanierung" (project 6), so Anna
-- Partner of Solar Partner became its owner in their place.", in the
-- remover's copy "Projects you now own: ..."). A line left out otherwise.
--
-- D2: without a take-over, {{pending_invitations}} names the invitations
-- the person removed had sent there, which no longer work, and what to do
-- ("resend it from the account's pending invitations (you become its
-- sender), or revoke it").
--
-- D3: {{removed}} is the opening sentence: "Anna Partner of Solar
-- Partner removed Ben Partner from X, where they were an administrator."
-- for the account's readers, "You removed Ben Partner from X, ..." in the
-- remover's own copy.
--
-- D4: {{told_as}} is the closing line: why this reader gets the mail. The
-- remover's reason ("as the administrator of Solar Partner who removed
-- Ben Partner from X and took their place there") only in their copy.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 091 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholders ({{removed_by}} and {{roles}} stay).

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{removed}} {{person_name}} created {{account_name}} for {{parent_name}} and no longer holds a role in {{parent_name}}. The administrators of {{parent_name}} may remove {{person_name}}, who created it for {{parent_name}}, from {{account_name}}, but none of its own people.\n{{taken_over}}\n{{projects_taken}}\n{{pending_invitations}}\n\nIf {{person_name}} should still act for {{account_name}}, an administrator of {{account_name}} can invite them again.\n\n{{told_as}}\n'
 WHERE account_id IS NULL AND name = 'removed-by-parent' AND body =
 '{{greeting}}\n\n{{removed_by}} removed {{person_name}} from {{account_name}}, where they were {{roles}}. {{person_name}} created {{account_name}} for {{parent_name}} and no longer holds a role in {{parent_name}}. The administrators of {{parent_name}} may remove {{person_name}}, who created it for {{parent_name}}, from {{account_name}}, but none of its own people.\n{{taken_over}}\n{{pending_invitations}}\n\nIf {{person_name}} should still act for {{account_name}}, an administrator of {{account_name}} can invite them again.\n\nYou get this mail as a named contact of {{account_name}}, as one of its administrators while it has no named contact, as one of its notification recipients, or as the administrator of {{parent_name}} who took the place of {{person_name}} and now sends their pending invitations.\n';
