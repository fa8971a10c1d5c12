-- accountd migration 018: a reseller (a partner account) without a plan
-- subscription is on `basic` (docs/api.md, "Catalog"). The overview read
-- it so already; the partner's overview table showed the stored column,
-- null, and its filter[plan]=basic found no such reseller (round-3
-- walkthrough of seed 003). accountd now stores basic when it creates a
-- partner; this gives the partners made before the same.
UPDATE accounts SET plan = 'basic' WHERE kind = 'partner' AND plan IS NULL;
