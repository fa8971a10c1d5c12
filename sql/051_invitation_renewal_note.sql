-- accountd migration 051: an invitation that replaces a pending one of the
-- same address says so (round-14 walkthrough of seed 001, D3: inviting a
-- pending address again, as a member where the first mail said
-- administrator, mailed a second invitation with the same subject that
-- did not say it replaces the first, nor that the first link no longer
-- works). {{renewal_note}}, a line of its own, is left out of a first
-- invitation; for a renewal, a resend, or a hand-over that takes over a
-- member invitation it says "This invitation replaces the one sent to
-- you before[, now as a member instead of an administrator]: the link in
-- that earlier mail no longer works."
--
-- Only the shipped defaults change, and only while they are still the
-- text migrations 021 and 025 shipped (a default row edited in the
-- database keeps its text); a distributor's override keeps its text and
-- may use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{inviter_name}} invites you to join {{account_name}} as {{role_title}}.\n{{contact_note}}\n{{renewal_note}}\n\nAccept the invitation here (the link works once and expires {{expires_at}}):\n{{link}}\n\nIf you did not expect this invitation, ignore this e-mail.\n'
 WHERE account_id IS NULL AND name = 'invitation' AND body =
 '{{greeting}}\n\n{{inviter_name}} invites you to join {{account_name}} as {{role_title}}.\n{{contact_note}}\n\nAccept the invitation here (the link works once and expires {{expires_at}}):\n{{link}}\n\nIf you did not expect this invitation, ignore this e-mail.\n';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{inviter_name}} prepared the account {{account_name}} for you. Activate it to take it over: when you accept, {{account_name}} becomes yours and you become its administrator. The people who prepared it keep access as your service providers, for support; you can revoke that at any time.\n{{renewal_note}}\n\nActivate your account here (the link works once and expires {{expires_at}}):\n{{link}}\n\nThen sign in to manage {{account_name}}.\n\nIf you did not expect this e-mail, ignore it.\n'
 WHERE account_id IS NULL AND name = 'transfer-invitation' AND body =
 '{{greeting}}\n\n{{inviter_name}} prepared the account {{account_name}} for you. Activate it to take it over: when you accept, {{account_name}} becomes yours and you become its administrator. The people who prepared it keep access as your service providers, for support; you can revoke that at any time.\n\nActivate your account here (the link works once and expires {{expires_at}}):\n{{link}}\n\nThen sign in to manage {{account_name}}.\n\nIf you did not expect this e-mail, ignore it.\n';
