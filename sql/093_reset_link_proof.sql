-- accountd migration 093: a password-reset link holds only for the
-- mailbox it went to, the password it would replace and the role it was
-- asked for (round-21 walkthrough of seed 004, D1-D3; docs/api.md,
-- "Password resets").
--
-- 1. password_resets.mailed_to: the address the link was mailed to, and
--    password_mark: the SHA-256 of the person's userPassword values when
--    it was asked for (ldap_store_reset_proof; never the password or its
--    stored hash). A link dies (410 reset-revoked) when the person's mail
--    in the directory is no longer mailed_to (case ignored) or gone, or
--    when their password changed since (an LDAP administrator's
--    ldappasswd, for example). A link asked for before this migration has
--    NULL in both and is not compared (it expires within a day).

ALTER TABLE password_resets
  ADD COLUMN IF NOT EXISTS mailed_to VARCHAR(320) NULL AFTER requested_as,
  ADD COLUMN IF NOT EXISTS password_mark BINARY(32) NULL AFTER mailed_to;

-- 2. password-changed names only people who can help now (D2, D3):
--    {{which_link}} is "the reset link you asked for" when the person
--    asked for their own, else "the reset link that <who> (<capacity>)
--    asked for"; {{ask_whom}} is who asked and the account's named
--    contacts while who asked is still a named contact (or operator
--    staff), else the account's current named contacts by name (not the
--    person), else "an administrator of <account>". Only the unchanged
--    default is rewritten; an override keeps its text ({{requested_by}}
--    and {{requested_by_name}} still work).

UPDATE notification_templates SET body =
 '{{greeting}}\n\nThe password of your user {{uid}} was set at {{set_at}} with {{which_link}} on {{requested_at}}. From now on only the new password works.\n\nIf this was not you, someone else used the link mailed to you: ask {{ask_whom}} at once for a new reset link.\n'
 WHERE account_id IS NULL AND name = 'password-changed' AND body =
 '{{greeting}}\n\nThe password of your user {{uid}} was set at {{set_at}} with the reset link that {{requested_by}} asked for on {{requested_at}}. From now on only the new password works.\n\nIf this was not you, someone else used the link mailed to you: ask {{requested_by_name}} or a named contact of {{account_name}} at once for a new reset link.\n';
