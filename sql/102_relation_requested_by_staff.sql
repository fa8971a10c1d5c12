-- accountd migration 102: a relation request that operator staff made for
-- a partner names its customer in the partner's lists (round-23
-- walkthrough of seed 003, D3; docs/api.md, "Customer relations").
--
-- The Help Center found an existing organization for a reseller and asked
-- for the relation; relation-requested-for-partner (migration 057) named
-- the customer to the reseller, but GET /accounts/{id}/customer-relations
-- showed the pending row with customer_name null, as for a request the
-- partner made itself by typing an id. requested_by_staff records, on the
-- request (first or asked again), that operator staff made it (once set,
-- it stays set: a name the partner was told stays told); the
-- partner's lists then show the customer's name whatever the status.
--
-- Rows asked before this migration keep FALSE: whether their requester
-- was operator staff is in the directory, not in the database, and a
-- request asked again records it anew.

ALTER TABLE customer_relations
  ADD COLUMN requested_by_staff BOOLEAN NOT NULL DEFAULT FALSE AFTER requested_by;
