-- accountd migration 031: a template's extra recipients (seed 002: the
-- storefront welcome "will be sent to the reseller's primary contact, but
-- you can add any other preferred recipients from the Notifications menu
-- in the Setup environment of your BSS"; docs/api.md, "Templates"). A
-- distributor (or the operator) names addresses that get every mail of that
-- template for the accounts below it, besides the account's own people.

CREATE TABLE IF NOT EXISTS template_recipients (
  account_id  BIGINT UNSIGNED NOT NULL,
  name        VARCHAR(64) NOT NULL,
  position    INT UNSIGNED NOT NULL,
  email       VARCHAR(254) NOT NULL,
  PRIMARY KEY (account_id, name, position),
  KEY ix_template_recipients_name (name, account_id),
  CONSTRAINT fk_template_recipients_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
