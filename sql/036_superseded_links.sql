-- accountd migration 036: an invitation's old links are remembered when a
-- resend or a new invitation to the same address replaces them (round-8
-- walkthroughs of seeds 001 and 004; round 7 D3): the old link answers 410
-- "a newer link was sent" instead of 404 "no such invitation", which read
-- to an invitee holding a real mail like a mistake. Only the SHA-256 of a
-- token is kept, as in invitations.token_hash.

CREATE TABLE invitation_superseded_tokens (
  token_hash    BINARY(32) NOT NULL PRIMARY KEY,
  invitation_id BIGINT UNSIGNED NOT NULL,
  superseded_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_superseded_invitation (invitation_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
