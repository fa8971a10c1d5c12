-- accountd migration 006: partner management (issue 9): custom properties
-- of a partner's child accounts, staging and hand-over, service-provider
-- access with an expiry, customer relations, projects.

-- A partner's typed properties for its child accounts (LineMetrics). The key
-- names the property in bodies and filters and never changes; the label is
-- what a table shows and may be renamed.
CREATE TABLE property_definitions (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id  BIGINT UNSIGNED NOT NULL,
  prop_key    VARCHAR(64) NOT NULL,
  label       VARCHAR(100) NOT NULL,
  type        ENUM('text','number','boolean','date','select') NOT NULL,
  options     JSON NULL CHECK (options IS NULL OR JSON_VALID(options)),
  required    BOOLEAN NOT NULL DEFAULT FALSE,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_property_definitions (account_id, prop_key),
  CONSTRAINT fk_property_definitions_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A child account's value of one property. `value` is the JSON text of the
-- typed value as the API shows it; `sort_key` is the same value encoded so
-- that comparing bytes orders it (numbers as sign-flipped IEEE doubles in
-- hex, dates as YYYY-MM-DD, booleans 0/1, text as it is): the overview table
-- sorts, filters and pages on it. Removing a definition removes its values.
CREATE TABLE account_property_values (
  account_id     BIGINT UNSIGNED NOT NULL,
  definition_id  BIGINT UNSIGNED NOT NULL,
  value          VARCHAR(2000) NOT NULL,
  sort_key       VARBINARY(512) NOT NULL,
  PRIMARY KEY (account_id, definition_id),
  KEY ix_property_values_sort (definition_id, sort_key, account_id),
  CONSTRAINT fk_property_values_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT fk_property_values_definition FOREIGN KEY (definition_id)
    REFERENCES property_definitions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- An invitation either adds someone to a role or hands a staged account
-- over to its customer (Loftware): accepting a 'transfer' invitation runs the
-- hand-over.
ALTER TABLE invitations
  ADD COLUMN purpose ENUM('member','transfer') NOT NULL DEFAULT 'member' AFTER role;

-- The hand-over of a staged account: requested with POST .../transfer,
-- completed when the customer accepts.
CREATE TABLE account_transfers (
  account_id     BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  invitation_id  BIGINT UNSIGNED NOT NULL,
  email          VARCHAR(254) NOT NULL,
  requested_by   VARCHAR(255) NOT NULL,
  requested_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  completed_at   DATETIME(6) NULL,
  customer_uid   VARCHAR(255) NULL,
  CONSTRAINT fk_transfers_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT fk_transfers_invitation FOREIGN KEY (invitation_id) REFERENCES invitations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A service provider's access to a customer account: the person is in the
-- account's service-provider role group; this row says since when and until
-- when. Past expires_at the role counts for nothing (authorization reads the
-- time) and `accountd maint` removes the membership from LDAP.
CREATE TABLE service_provider_access (
  account_id  BIGINT UNSIGNED NOT NULL,
  uid         VARCHAR(255) NOT NULL,
  granted_by  VARCHAR(255) NOT NULL,
  granted_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at  DATETIME(6) NULL,
  PRIMARY KEY (account_id, uid),
  KEY ix_service_provider_expiry (expires_at),
  CONSTRAINT fk_service_provider_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Partner -> customer relations (STACKIT method 1): one per pair.
CREATE TABLE customer_relations (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  partner_id    BIGINT UNSIGNED NOT NULL,
  customer_id   BIGINT UNSIGNED NOT NULL,
  status        ENUM('pending','active','declined') NOT NULL,
  requested_by  VARCHAR(255) NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  decided_by    VARCHAR(255) NULL,
  decided_at    DATETIME(6) NULL,
  UNIQUE KEY uq_customer_relations (partner_id, customer_id),
  KEY ix_customer_relations_customer (customer_id),
  CONSTRAINT fk_relations_partner FOREIGN KEY (partner_id) REFERENCES accounts (id),
  CONSTRAINT fk_relations_customer FOREIGN KEY (customer_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Projects inside an account (STACKIT method 2); their role groups are in
-- LDAP: cn=owner|editor|reader,ou=<id>,ou=projects,ou=<account>,ou=accounts.
CREATE TABLE projects (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id  BIGINT UNSIGNED NOT NULL,
  name        VARCHAR(200) NOT NULL,
  ldap_state  ENUM('pending','done') NOT NULL DEFAULT 'pending',
  created_by  VARCHAR(255) NOT NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_projects_name (account_id, name),
  CONSTRAINT fk_projects_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The audit trail is read per account, newest first, by time and actor.
ALTER TABLE audit
  ADD KEY ix_audit_account_at (account_id, at, id),
  ADD KEY ix_audit_account_uid (account_id, uid, id);

INSERT INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'transfer-completed', '{{account_name}} was handed over',
 'Hello,\n\n{{new_owner_name}} ({{new_owner_mail}}) accepted the hand-over of {{account_name}} and is now its administrator.\nYou keep access as a service provider.\n');
