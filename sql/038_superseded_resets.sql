-- accountd migration 038: a password-reset link replaced by a newer
-- request is remembered (round-10 walkthrough of seed 004, D1): it answers
-- 410 reset-replaced, as a replaced invitation link answers 410
-- invitation-replaced (migration 036), instead of 404 "no such password
-- reset". Only the SHA-256 of a token is kept.

CREATE TABLE password_reset_superseded_tokens (
  token_hash    BINARY(32) NOT NULL PRIMARY KEY,
  reset_id      BIGINT UNSIGNED NOT NULL,
  superseded_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_reset_superseded_reset (reset_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
