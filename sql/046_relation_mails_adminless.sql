-- accountd migration 046: the round-12 walkthrough of seed 003 (docs/api.md,
-- "Customer relations"; docs/operations.md, "accountd maint").
--
-- D1: operator staff who are no admins of the customer may approve or
-- decline a partner's relation request for it (DESIGN: operators may do
-- everything). The customer's admins were asked to decide and were never
-- told that it had been decided: relation-decided-by-operator tells them
-- (and the customer's notification recipients) how and by whom.
-- D3: a customer organization created under a partner by someone who is
-- none of the partner's people (operator staff, the seed's "Partner Sales
-- Account Manager") records an active relation that the partner found only
-- by polling GET /accounts/{id}/customers: relation-created tells the
-- partner's contacts (else its admins) and notification recipients.
-- Only shipped defaults (account_id NULL); a distributor or the operator
-- overrides them like the other templates.
INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'relation-decided-by-operator',
 'The relation request of {{partner_name}} to {{account_name}} was {{decision}}',
 '{{greeting}}\n\n{{decided_by}} {{decision}} the request of {{partner_name}} to become the partner (reseller) of {{account_name}} (account {{account_id}}, customer relation {{relation_id}}), on behalf of {{account_name}}: operator staff may act for any account, and none of the administrators of {{account_name}} made this decision.\n\nA relation grants {{partner_name}} no access to {{account_name}}. An administrator of {{account_name}} may end an approved relation at any time, among the customer relations of {{account_name}}; after a decline {{partner_name}} may ask again.\n\nYou get this mail as an admin or a notification recipient of {{account_name}}.\n'),
(NULL, 'relation-created',
 '{{customer_name}} was created as a customer of {{account_name}}',
 '{{greeting}}\n\n{{created_by}} created the customer organization {{customer_name}} (account {{customer_id}}) under {{account_name}} (account {{account_id}}) and recorded {{account_name}} as its partner (reseller): customer relation {{relation_id}} is active.\n\nIt is listed among the customers of {{account_name}}. The relation grants nobody access to {{customer_name}}: its administrators decide who joins it.\n\nYou get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n');

-- D4: an LDAP administrator can remove the last admin of an account
-- (ldapmodify), which the API always refuses. `accountd maint` reports
-- every account that is not closed and has no admin in the directory on
-- each run, and writes an audit row once per such episode: the account is
-- recorded here from the run that first finds it without an admin
-- (audit account.adminless) until a run finds an admin again (audit
-- account.admin_restored) or it is closed; a later loss is a new episode.
CREATE TABLE adminless_accounts (
  account_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  since      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  CONSTRAINT fk_adminless_account FOREIGN KEY (account_id) REFERENCES accounts (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
