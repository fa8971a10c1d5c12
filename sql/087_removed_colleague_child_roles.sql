-- accountd migration 087: two mails of a person removed from a partner
-- (round-20 walkthrough of seed 001, D1).
--
-- Ben, an admin of a partner, created a customer (so he was its only
-- admin). Anna removed him from the partner: 204, no mail, and Ben kept
-- every right in the customer while the partner could neither see it in
-- full nor end it.
--
-- member-keeps-child-roles: a removal of a person from a partner or a
-- distributor (DELETE .../members/{uid}, or a PUT to no roles) that leaves
-- them roles in its open direct child accounts goes to the remover and to
-- the account's named contacts (else its admins): {{removed}} what
-- happened ("Anna Partner removed Ben Partner from Solar Partner (account
-- 6)."), {{person_name}}, {{child_count}} ("2 child accounts") and
-- {{children}}, one line per child account with the roles, whether it has
-- no other administrator, and who may remove them there (for an account
-- they created, the partner's own administrators).
--
-- removed-by-parent: the partner's administrator who removes such a
-- person from an account the person created (without being an
-- administrator of it) tells the account's named contacts (else its
-- admins) and its notification recipients: {{removed_by}} who, with the
-- organization they act for, {{person_name}}, {{roles}} their roles in
-- it, {{parent_name}}, and {{taken_over}}, a line left out unless the
-- person was its last administrator and the remover took their place.
--
-- New defaults only; nothing else changes. A distributor or the operator
-- overrides them like the other templates.

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'member-keeps-child-roles', '{{person_name}} still holds roles in child accounts of {{account_name}}',
 '{{greeting}}\n\n{{removed}} That took none of the roles {{person_name}} holds in the child accounts of {{account_name}}: each account''s roles are its own. {{person_name}} still holds roles in {{child_count}} of {{account_name}}, with every right they give there:\n\n{{children}}\n\nIf {{person_name}} should no longer act for these accounts, have them removed there as each line says; until then they keep those roles.\n\nYou get this mail as the person who made the change, as a named contact of {{account_name}}, or as one of its administrators while it has no named contact.\n'),
(NULL, 'removed-by-parent', '{{person_name}} was removed from {{account_name}}',
 '{{greeting}}\n\n{{removed_by}} removed {{person_name}} from {{account_name}}, where they were {{roles}}. {{person_name}} created {{account_name}} for {{parent_name}} and no longer holds a role in {{parent_name}}. The administrators of {{parent_name}} may remove such a person from an account they created, and none of its own people.\n\n{{taken_over}}\n\nIf {{person_name}} should still act for {{account_name}}, an administrator of {{account_name}} can invite them again.\n\nYou get this mail as a named contact of {{account_name}}, as one of its administrators while it has no named contact, or as one of its notification recipients.\n');
