-- accountd migration 002: invitations, named contacts, notification
-- recipients, templates, preferences and the e-mail outbox.

-- An invitation by e-mail and role. The token itself is never stored: only
-- its SHA-256. At most one pending invitation per account and address
-- (pending_email is NULL once it is no longer pending).
CREATE TABLE invitations (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id    BIGINT UNSIGNED NOT NULL,
  email         VARCHAR(254) NOT NULL,
  role          VARCHAR(32) NOT NULL,
  first_name    VARCHAR(100) NULL,
  last_name     VARCHAR(100) NULL,
  token_hash    BINARY(32) NOT NULL,
  status        ENUM('pending','accepted','revoked') NOT NULL DEFAULT 'pending',
  pending_email VARCHAR(254) AS (IF(status = 'pending', LOWER(email), NULL)) PERSISTENT,
  invited_by    VARCHAR(255) NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at    DATETIME(6) NOT NULL,
  accepted_at   DATETIME(6) NULL,
  accepted_uid  VARCHAR(255) NULL,
  CONSTRAINT fk_invitations_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  UNIQUE KEY uq_invitations_token (token_hash),
  UNIQUE KEY uq_invitations_pending (account_id, pending_email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The two named contacts of an account (Inflectra): primary (billing) and
-- technical (alternate); each is one of the account's admins.
CREATE TABLE account_contacts (
  account_id  BIGINT UNSIGNED NOT NULL,
  kind        ENUM('primary','technical') NOT NULL,
  uid         VARCHAR(255) NOT NULL,
  updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (account_id, kind),
  CONSTRAINT fk_contacts_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Who receives an account's notifications (Loftware).
CREATE TABLE notification_recipients (
  account_id  BIGINT UNSIGNED NOT NULL,
  email       VARCHAR(254) NOT NULL,
  position    INT UNSIGNED NOT NULL,
  PRIMARY KEY (account_id, email),
  CONSTRAINT fk_recipients_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Mail templates: the defaults (account_id NULL, shipped below) and the
-- overrides of distributor accounts.
CREATE TABLE notification_templates (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id  BIGINT UNSIGNED NULL,
  name        VARCHAR(64) NOT NULL,
  subject     VARCHAR(255) NOT NULL,
  body        TEXT NOT NULL,
  updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  owner_key   BIGINT UNSIGNED AS (IFNULL(account_id, 0)) PERSISTENT,
  UNIQUE KEY uq_templates (owner_key, name),
  CONSTRAINT fk_templates_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- People's mail preferences (transactional mail is always sent).
CREATE TABLE person_preferences (
  uid         VARCHAR(255) NOT NULL PRIMARY KEY,
  news        BOOLEAN NOT NULL DEFAULT TRUE,
  updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The outbox: one row per mail and recipient, written in the transaction of
-- the change that causes it; accountd-mailer delivers it. The body is
-- emptied once the mail is sent or dead (an invitation's body holds its link).
CREATE TABLE mail_outbox (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id       BIGINT UNSIGNED NULL,
  template         VARCHAR(64) NOT NULL,
  category         ENUM('transactional','news') NOT NULL,
  recipient        VARCHAR(254) NOT NULL,
  subject          VARCHAR(998) NOT NULL,
  body             MEDIUMTEXT NOT NULL,
  status           ENUM('queued','sent','dead') NOT NULL DEFAULT 'queued',
  attempts         INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_error       VARCHAR(500) NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  sent_at          DATETIME(6) NULL,
  KEY ix_outbox_due (status, next_attempt_at, id),
  KEY ix_outbox_account (account_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'invitation', 'You are invited to {{account_name}}',
 'Hello,\n\n{{inviter_name}} invites you to join {{account_name}} as {{role}}.\n\nAccept the invitation here (the link works once and expires {{expires_at}}):\n{{link}}\n\nIf you did not expect this invitation, ignore this e-mail.\n'),
(NULL, 'added-to-account', 'You were added to {{account_name}}',
 'Hello {{name}},\n\n{{inviter_name}} added you to {{account_name}} as {{role}}.\nSign in with your existing account to use it.\n'),
(NULL, 'contact-changed', '{{account_name}}: the {{contact}} contact changed',
 'Hello,\n\nThe {{contact}} contact of {{account_name}} changed from {{old_name}} to {{new_name}}.\nIf this change is unexpected, contact your administrator.\n'),
(NULL, 'ownership-transferred', '{{account_name}} is now yours',
 'Hello {{new_owner_name}},\n\nThe account {{account_name}} has been transferred to you. You are now its administrator.\n'),
(NULL, 'plan-welcome', 'Welcome to {{plan}}',
 'Hello,\n\n{{account_name}} now has the {{plan}} plan.\nYour storefront: {{storefront_url}}\n'),
(NULL, 'subscription-cancelled', 'Your {{plan}} subscription is cancelled',
 'Hello,\n\nThe {{plan}} subscription of {{account_name}} is cancelled. Service continues until {{ends_at}}.\n');
