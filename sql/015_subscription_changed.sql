-- accountd migration 015: the default of the `subscription-changed` mail,
-- sent to the named contacts and the notification recipients when a
-- subscription is renewed or its cancellation withdrawn (Inflectra:
-- transactional mail on "a change in a subscription"). `change` says what
-- happened ("was renewed", "continues: its cancellation was withdrawn").
INSERT INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'subscription-changed', 'Your {{plan}} subscription {{change}}',
 'Hello,\n\nThe {{plan}} subscription of {{account_name}} {{change}}. Its term runs until {{ends_at}}.\n');
