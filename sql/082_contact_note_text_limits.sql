-- accountd migration 082: text limits in characters.
--
-- Round-19 walkthrough of seed 001, D1 (docs/api.md, "Requests"): the
-- length limits of text fields count characters (Unicode code points),
-- as a person counts them and as the utf8mb4 VARCHAR columns hold them;
-- they counted bytes, so 251 "é" were over a text property's 500. A
-- text property's value is also kept, as it is, in sort_key, whose
-- bytes order and filter the overview table: 500 characters take up to
-- 2,000 bytes of UTF-8, so the column grows from 512 to 2,000 bytes
-- (the index on it stays within InnoDB's 3,072 bytes of a key).
-- Existing values are unchanged.

ALTER TABLE account_property_values MODIFY sort_key VARBINARY(2000) NOT NULL;
