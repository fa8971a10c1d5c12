-- accountd migration 043: List-Unsubscribe only on the news copies whose
-- reader the preferences page serves (round-12 walkthrough of seed 000, D3).
--
-- A news mail's copy to an address among the notification recipients that
-- is no person of the account cannot be stopped on the signed-in mail
-- preferences page (its footer says an administrator takes the address
-- off), so it carries no List-Unsubscribe. accountd marks the copies that
-- a person's own news preference governs; accountd-mailer adds the header
-- to those alone.

ALTER TABLE mail_outbox
  ADD COLUMN list_unsubscribe BOOLEAN NOT NULL DEFAULT FALSE AFTER category;

-- News queued before this migration: every copy but a bare recipient's
-- (told by its footer) keeps the header it would have had.
UPDATE mail_outbox SET list_unsubscribe = TRUE
 WHERE category = 'news' AND status = 'queued'
   AND body NOT LIKE '%You get this news as a notification recipient of %';
