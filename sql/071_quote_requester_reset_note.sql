-- accountd migration 071: two mails' wording (round-17 walkthroughs of
-- seeds 001 and 004).
--
-- 1. quote-requested (seed 001, D2). A partner's admin who holds no role
--    in a customer account asked for a quote for it, and the mail to the
--    partner's contact said "Ben Kollege (ben@…) of <the customer> asks
--    for a quote", its subject "<the customer> asks for a quote": Ben is
--    a person of the partner. {{requested_by}} now names the requester as
--    the invitations and the billing mails name who acted
--    (mail_actor_name: "Ben Kollege of <the partner>" for a person of an
--    account above, "Olivia Operator on behalf of <the partner>" for
--    operator staff, the name alone for the account's own people), so the
--    text no longer says "of {{account_name}}" itself: "{{requested_by}}
--    ({{requested_by_mail}}) asks for a quote for {{account_name}}
--    (account {{account_id}}):", subject "Quote requested for
--    {{account_name}} ({{total}})".
-- 2. password-reset (seed 004, D4). Asking again for the same person
--    replaces the pending link (410 reset-replaced, migration 038), but
--    the second mail looked like the first. {{renewal_note}}, a line of
--    its own, says "This link replaces the one sent to you before: the
--    link in that earlier mail no longer works." in a reset that replaces
--    a pending one, and is left out otherwise (as the invitations'
--    {{renewal_note}} of migration 051).
--
-- Only the shipped defaults change, and only while they are still the
-- text migrations 030, 032, 039 and 047 left (a default row edited in the
-- database keeps its text); a distributor's or the operator's override
-- keeps its text and may use the new placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{requested_by}} ({{requested_by_mail}}) asks for a quote for {{account_name}} (account {{account_id}}):\n{{lines}}\nTotal: {{total}}\n\nThe quote is valid for {{valid_days}} days. You find it as quote {{quote_id}} among the quotes of {{account_name}}; answer {{requested_by}} at {{requested_by_mail}}.\n\nYou get this mail as a contact, an admin or a notification recipient of the account that sells to {{account_name}}.\n'
 WHERE account_id IS NULL AND name = 'quote-requested' AND body =
 '{{greeting}}\n\n{{requested_by}} ({{requested_by_mail}}) of {{account_name}} (account {{account_id}}) asks for a quote:\n{{lines}}\nTotal: {{total}}\n\nThe quote is valid for {{valid_days}} days. You find it as quote {{quote_id}} among the quotes of {{account_name}}; answer {{requested_by}} at {{requested_by_mail}}.\n\nYou get this mail as a contact, an admin or a notification recipient of the account that sells to {{account_name}}.\n';

UPDATE notification_templates SET subject = 'Quote requested for {{account_name}} ({{total}})'
 WHERE account_id IS NULL AND name = 'quote-requested'
   AND subject = '{{account_name}} asks for a quote ({{total}})';

UPDATE notification_templates SET body =
 'Hello {{name}},\n\n{{requested_by}}, asked for a new password for your user {{uid}}.\n{{renewal_note}}\n\nSet it here (the link works once and expires {{expires_at}}):\n{{link}}\n\nUntil you do, your current password keeps working. If you did not expect this, ignore this e-mail.\n'
 WHERE account_id IS NULL AND name = 'password-reset' AND body =
 'Hello {{name}},\n\n{{requested_by}}, asked for a new password for your user {{uid}}.\n\nSet it here (the link works once and expires {{expires_at}}):\n{{link}}\n\nUntil you do, your current password keeps working. If you did not expect this, ignore this e-mail.\n';
