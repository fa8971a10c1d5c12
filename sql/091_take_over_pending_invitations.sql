-- accountd migration 091: removed-by-parent names the pending invitations
-- the take-over moves, and loses its empty paragraph (round-21
-- walkthrough of seed 001, D1 and D2; docs/api.md, "The parent's admins
-- remove a former colleague from the accounts they created").
--
-- D1: a partner's admin who removes a former colleague from a customer
-- the colleague created, where the colleague was its last administrator,
-- takes their place (migration 087). The invitations the colleague had
-- sent there (the customer's future admin and contact) then answered 410
-- invitation-revoked, their sender no longer allowed to send them, and
-- nobody was told. The take-over now makes the remover their sender
-- (audit invitation.sender), as the hand-over's accept does for the
-- preparers' invitations (migration 073), so that their links keep
-- working, and {{pending_invitations}} names them: in the account's
-- readers' copies "The invitation Ben Partner sent that is still pending,
-- ida@x as an administrator and its contact person (invitation 43), comes
-- from Anna Partner of Solar Partner from now on: its link keeps
-- working.", and in a copy the remover gets for it "Pending invitation
-- you now send: ... Ben Partner sent it; its link keeps working, and as
-- its sender you can resend or revoke it in the account's pending
-- invitations." A line left out when there is none.
--
-- D2: the line {{taken_over}} stood alone between two blank lines, so
-- that where it was left out (no take-over) the mail had an empty
-- paragraph. It and {{pending_invitations}} now follow the paragraph
-- before them on lines of their own, as {{pending_invitations}} does in
-- ownership-transferred (migration 073). "from an account they created"
-- read as if the partner's administrators had created it: it now says
-- "{{person_name}}, who created it for {{parent_name}}". The last line
-- names the remover's own copy.
--
-- Only the shipped default changes, and only while it is still the text
-- migration 087 shipped (a default row edited in the database keeps its
-- text); a distributor's or the operator's override keeps its text and
-- may use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{removed_by}} removed {{person_name}} from {{account_name}}, where they were {{roles}}. {{person_name}} created {{account_name}} for {{parent_name}} and no longer holds a role in {{parent_name}}. The administrators of {{parent_name}} may remove {{person_name}}, who created it for {{parent_name}}, from {{account_name}}, but none of its own people.\n{{taken_over}}\n{{pending_invitations}}\n\nIf {{person_name}} should still act for {{account_name}}, an administrator of {{account_name}} can invite them again.\n\nYou get this mail as a named contact of {{account_name}}, as one of its administrators while it has no named contact, as one of its notification recipients, or as the administrator of {{parent_name}} who took the place of {{person_name}} and now sends their pending invitations.\n'
 WHERE account_id IS NULL AND name = 'removed-by-parent' AND body =
 '{{greeting}}\n\n{{removed_by}} removed {{person_name}} from {{account_name}}, where they were {{roles}}. {{person_name}} created {{account_name}} for {{parent_name}} and no longer holds a role in {{parent_name}}. The administrators of {{parent_name}} may remove such a person from an account they created, and none of its own people.\n\n{{taken_over}}\n\nIf {{person_name}} should still act for {{account_name}}, an administrator of {{account_name}} can invite them again.\n\nYou get this mail as a named contact of {{account_name}}, as one of its administrators while it has no named contact, or as one of its notification recipients.\n';
