-- accountd migration 061: a person removed from an account whose own
-- address was one of its notification recipients is told that they were
-- removed (round-15 walkthrough of seed 004, D1). Since the round-14
-- walkthrough of seed 004, D2 their address leaves the recipients with
-- them, and they were mailed recipient-removed, which reads as an edit of
-- the recipients list: it did not say they had lost their roles, it
-- listed the addresses that still get the account's mail (which they may
-- no longer read) and it asked them to have the address added again.
-- member-removed says what happened and nothing more. A distributor or
-- the operator overrides it like the other templates; a recipients PUT
-- keeps mailing recipient-removed.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'member-removed', 'You were removed from {{account_name}}',
 '{{greeting}}\n\n{{changed_by}} removed you from {{account_name}}: you no longer hold a role there, and {{email}} no longer gets its notifications (subscription changes, renewals, contact changes and the like). This is the last notification of {{account_name}} it gets.\n\nIf you did not expect this, {{changed_by}} can tell you why.\n');
