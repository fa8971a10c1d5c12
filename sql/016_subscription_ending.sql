-- accountd migration 016: the notice that a subscription's term ends soon
-- (Inflectra: transactional mail when "one of the subscriptions is
-- expiring soon"). `accountd maint` mails it subscription_notice_days
-- ahead, once per term end: ending_notice_for is the ends_at it was sent
-- for (a renewal moves ends_at, so the next term gets its own notice).
ALTER TABLE subscriptions ADD COLUMN ending_notice_for DATETIME(6) NULL AFTER ends_at;

INSERT INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'subscription-ending', 'Your {{plan}} subscription: its term ends {{ends_at}}',
 'Hello,\n\nThe term of the {{plan}} subscription of {{account_name}} ends {{ends_at}}: {{next}}.\n');
