-- accountd migration 082: text limits in characters, and contact-changed
-- tells the new contact what being the contact means.
--
-- 1. Round-19 walkthrough of seed 001, D1 (docs/api.md, "Requests"): the
--    length limits of text fields count characters (Unicode code points),
--    as a person counts them and as the utf8mb4 VARCHAR columns hold them;
--    they counted bytes, so 251 "é" were over a text property's 500. A
--    text property's value is also kept, as it is, in sort_key, whose
--    bytes order and filter the overview table: 500 characters take up to
--    2,000 bytes of UTF-8, so the column grows from 512 to 2,000 bytes
--    (the index on it stays within InnoDB's 3,072 bytes of a key).
--    Existing values are unchanged.

ALTER TABLE account_property_values MODIFY sort_key VARBINARY(2000) NOT NULL;

-- 2. Round-19 walkthrough of seed 004, D2 (docs/api.md, "Contacts"): a
--    contact named by PUT …/contacts/{kind} was told that the contact
--    changed, not what it means for them, while the contact person of
--    POST /accounts is told in the invitation ({{contact_note}}). The
--    new contact's copy of contact-changed now carries {{contact_note}}
--    ("You are now its technical contact: you get its account and billing
--    mail, may request password resets for its people, and stay an
--    administrator while you are its contact (…)."), a line left out of
--    every other reader's copy.
--
--    Only the shipped default changes, and only while it is still the
--    text migration 077 left (a default row edited in the database keeps
--    its text); a distributor's or the operator's override keeps its text
--    and may use the placeholder.

UPDATE notification_templates SET body =
 '{{greeting}}\n\n{{changed_by}} changed the {{contact}} contact of {{account_name}} from {{old_name}} to {{new_name}}.\n{{contact_note}}\n\nYou get this mail as a named contact or a notification recipient of {{account_name}}, or as one of its administrators while it has no other named contact. {{if_unexpected}}\n'
 WHERE account_id IS NULL AND name = 'contact-changed' AND body =
 '{{greeting}}\n\n{{changed_by}} changed the {{contact}} contact of {{account_name}} from {{old_name}} to {{new_name}}.\n\nYou get this mail as a named contact or a notification recipient of {{account_name}}, or as one of its administrators while it has no other named contact. {{if_unexpected}}\n';
