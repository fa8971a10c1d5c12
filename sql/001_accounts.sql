-- accountd migration 001: accounts, idempotency keys, audit trail.
-- Applied by `accountd migrate`, recorded in schema_migrations.

CREATE TABLE accounts (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind            ENUM('operator','distributor','partner','customer') NOT NULL,
  parent_id       BIGINT UNSIGNED NULL,
  name            VARCHAR(200) NOT NULL,
  status          ENUM('staged','active','suspended','closed') NOT NULL DEFAULT 'active',
  company_name    VARCHAR(200) NULL,
  company_street  VARCHAR(200) NULL,
  company_postcode VARCHAR(20) NULL,
  company_city    VARCHAR(100) NULL,
  company_country CHAR(2) NULL,
  company_vat_id  VARCHAR(20) NULL,
  properties      JSON NOT NULL DEFAULT (JSON_OBJECT()) CHECK (JSON_VALID(properties)),
  plan            VARCHAR(32) NULL,
  -- saga state of the LDAP side: 'pending' while the role groups are being
  -- written, 'done' once they exist. Only 'done' accounts are visible.
  ldap_state      ENUM('pending','done') NOT NULL DEFAULT 'pending',
  version         INT UNSIGNED NOT NULL DEFAULT 1,
  created_by      VARCHAR(255) NOT NULL,
  created_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  closed_at       DATETIME(6) NULL,
  CONSTRAINT fk_accounts_parent FOREIGN KEY (parent_id) REFERENCES accounts (id),
  KEY ix_accounts_parent_id (parent_id, id),
  KEY ix_accounts_parent_name (parent_id, name, id),
  KEY ix_accounts_ldap_state (ldap_state, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Idempotency-Key of creating POSTs, per caller.
CREATE TABLE idempotency_keys (
  uid         VARCHAR(255) NOT NULL,
  idem_key    VARCHAR(128) NOT NULL,
  account_id  BIGINT UNSIGNED NOT NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (uid, idem_key),
  KEY ix_idempotency_account (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every change: when, who, which account, what, old and new values.
CREATE TABLE audit (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  uid         VARCHAR(255) NOT NULL,
  account_id  BIGINT UNSIGNED NULL,
  action      VARCHAR(64) NOT NULL,
  old_value   JSON NULL CHECK (old_value IS NULL OR JSON_VALID(old_value)),
  new_value   JSON NULL CHECK (new_value IS NULL OR JSON_VALID(new_value)),
  KEY ix_audit_account (account_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
