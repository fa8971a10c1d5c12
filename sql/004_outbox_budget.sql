-- accountd migration 004: the outbound mail budget (issue 7) counts an
-- account's mails of the last mail_budget_window seconds.
CREATE INDEX ix_outbox_budget ON mail_outbox (account_id, created_at);
