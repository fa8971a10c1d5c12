-- accountd migration 017: the contact person of POST /accounts
-- ({contact: {email, ...}}) is invited as admin with purpose 'contact':
-- accepting it also names them the account's primary and technical
-- contact where it has none (docs/api.md, "Accounts"). Otherwise such an
-- invitation is a member invitation.
ALTER TABLE invitations
  MODIFY COLUMN purpose ENUM('member','transfer','project','contact') NOT NULL DEFAULT 'member';
