-- accountd migration 044: the person a pending hand-over (POST
-- .../transfer) invited is told when the hand-over by role change revokes
-- it (round-12 walkthrough of seed 000, D5: the partner who demoted
-- themselves handed the account to another admin, and the invitee learnt
-- nothing until their link answered 410). The invitation's greeting, who
-- withdrew it and why. A distributor or the operator overrides it like the
-- other templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'invitation-withdrawn', '{{account_name}}: the invitation to you was withdrawn',
 '{{greeting}}\n\n{{withdrawn_by}} withdrew the invitation to {{account_name}} that was sent to {{email}}: {{reason}}.\nIts link no longer works, and there is nothing you need to do.\n\nIf you still expected it, ask {{withdrawn_by}} about it.\n');
