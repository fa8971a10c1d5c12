-- accountd migration 032: password resets that an account's named contacts
-- request for its people (seed 004: "the two named account holders are the
-- only users authorized to ... request the reset of any passwords";
-- docs/api.md, "Password resets"). The person gets a mail with a
-- single-use link to set a new password; the token is stored as its
-- SHA-256 only. One pending reset per person and account.

CREATE TABLE IF NOT EXISTS password_resets (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id    BIGINT UNSIGNED NOT NULL,
  uid           VARCHAR(255) NOT NULL,
  token_hash    BINARY(32) NOT NULL,
  status        ENUM('pending','used','replaced') NOT NULL DEFAULT 'pending',
  requested_by  VARCHAR(255) NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at    DATETIME(6) NOT NULL,
  used_at       DATETIME(6) NULL,
  pending_key   VARCHAR(255) AS (IF(status = 'pending', uid, NULL)) PERSISTENT,
  UNIQUE KEY uq_password_resets_token (token_hash),
  UNIQUE KEY uq_password_resets_pending (account_id, pending_key),
  KEY ix_password_resets_uid (uid, status),
  CONSTRAINT fk_password_resets_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'password-reset', 'Set a new password for {{uid}}',
 'Hello {{name}},\n\n{{requested_by}}, a named contact of {{account_name}}, asked for a new password for your user {{uid}}.\n\nSet it here (the link works once and expires {{expires_at}}):\n{{link}}\n\nUntil you do, your current password keeps working. If you did not expect this, ignore this e-mail.\n');
