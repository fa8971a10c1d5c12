-- accountd migration 073: the hand-over's mails to the customer (round-18
-- walkthrough of seed 000, D1 and D2).
--
-- D1: the accept of POST .../transfer made the partner's admins service
-- providers, and the admin and billing invitations they had sent while
-- staging (the customer's own IT admin, their billing people: the seed's
-- "add users and assign access roles") then answered 410
-- invitation-revoked, their sender no longer allowed to send them, and
-- nobody was told. The accept now makes the customer their sender (audit
-- invitation.sender), so that their links keep working, and
-- ownership-transferred names them in {{pending_invitations}}: "Pending
-- invitations you now send: ian@x as an administrator (invitation 42),
-- ... The people who prepared the account sent them; their links keep
-- working, and as their sender you can revoke any of them in the
-- account's pending invitations." The line is left out when there is
-- none.
--
-- D2: on an account without a parent the people who prepared it are the
-- platform's staff, and operators keep access to every account whatever
-- the account's administrators do; ownership-transferred and
-- transfer-invitation promised the customer that they could end the
-- preparers' access. {{providers_note}} says who keeps access and what the
-- customer may end of it: for an account with a parent the sentence the
-- shipped texts said before ("The people who prepared it keep access as
-- your service providers, for support; you can revoke that at any time."
-- in the invitation, "... You find them in the account's list of service
-- providers, where an administrator can end any one's access at any
-- time." in ownership-transferred), for one without that they are the
-- platform's staff and that the platform's operators keep access to every
-- account as operators.
--
-- Only the shipped defaults change, and only while they are still the
-- texts migrations 039 and 051 shipped (a default row edited in the
-- database keeps its text); a distributor's or the operator's override
-- keeps its text and may use the new placeholders.

UPDATE notification_templates SET body =
 'Hello {{new_owner_name}},\n\nThe account {{account_name}} (account {{account_id}}) has been transferred to you. You are now its administrator and its primary and technical contact, and its notifications go to {{new_owner_mail}}.\n\n{{providers_note}} An administrator can also name other contacts and notification recipients.\n{{pending_invitations}}\n'
 WHERE account_id IS NULL AND name = 'ownership-transferred' AND body =
 'Hello {{new_owner_name}},\n\nThe account {{account_name}} (account {{account_id}}) has been transferred to you. You are now its administrator and its primary and technical contact, and its notifications go to {{new_owner_mail}}.\n\nThe people who prepared it keep access as your service providers, for support. You find them in the account''s list of service providers, where an administrator can end any one''s access at any time; an administrator can also name other contacts and notification recipients.\n';

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{inviter_name}} prepared the account {{account_name}} for you. Activate it to take it over: when you accept, {{account_name}} becomes yours and you become its administrator. {{providers_note}}\n{{renewal_note}}\n\nActivate your account here (the link works once and expires {{expires_at}}):\n{{link}}\n\nThen sign in to manage {{account_name}}.\n\nIf you did not expect this e-mail, ignore it.\n'
 WHERE account_id IS NULL AND name = 'transfer-invitation' AND body =
 '{{greeting}}\n\n{{inviter_name}} prepared the account {{account_name}} for you. Activate it to take it over: when you accept, {{account_name}} becomes yours and you become its administrator. The people who prepared it keep access as your service providers, for support; you can revoke that at any time.\n{{renewal_note}}\n\nActivate your account here (the link works once and expires {{expires_at}}):\n{{link}}\n\nThen sign in to manage {{account_name}}.\n\nIf you did not expect this e-mail, ignore it.\n';
