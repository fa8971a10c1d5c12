-- accountd migration 010: Idempotency-Key on every POST that changes
-- something (docs/api.md "Idempotency-Key"). The first request with a key
-- claims its row (status NULL while it runs); a success keeps its answer
-- (status, header lines, body) for a repeat to get back; a refusal frees
-- the key again. `accountd maint` removes rows older than a day.
-- POST /api/v1/accounts keeps its own table (idempotency_keys, 001): its
-- key lives as long as the account and its replay reads the account again.
CREATE TABLE request_keys (
  uid          VARCHAR(255) NOT NULL,
  idem_key     VARCHAR(128) NOT NULL,
  request      TEXT NOT NULL,          -- "POST /api/v1/..." as requested
  fingerprint  CHAR(64) NOT NULL,
  status       SMALLINT NULL,
  headers      TEXT NULL,
  body         MEDIUMTEXT NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (uid, idem_key),
  KEY ix_request_keys_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
