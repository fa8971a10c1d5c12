-- accountd migration 098: the status of an account's live plan
-- subscription kept on the account, as its plan is (round-22 walkthrough
-- of seed 002, D3; docs/api.md, the overview table's plan_status).
--
-- The partner's overview table (GET /accounts?parent_id=P) shows each
-- child's plan_status and filters by it. It was a scalar subquery over the
-- child's subscriptions in the page's statement, for every row read, and
-- a second time in the WHERE with filter[plan_status]. The page now reads
-- this column. accountd writes it wherever the live plan subscription's
-- status changes (subscriptions_store_set_plan_status: an order of a plan,
-- a cancel, an uncancel, the end at its term by `accountd maint`), from
-- the same definition as subscriptions_store_live_plan: the newest
-- subscription with a plan that is not cancelled; NULL without one.
--
-- No index: the page reads its rows by (parent_id, sort key, id) and
-- keeps those that match, as it does for filter[status] and filter[plan];
-- plan_status is not offered as a sort.
ALTER TABLE accounts
  ADD COLUMN plan_status ENUM('active','pending_cancellation') NULL AFTER plan;

UPDATE accounts a SET a.plan_status = (
  SELECT s.status FROM subscriptions s
   WHERE s.account_id = a.id AND s.plan IS NOT NULL AND s.status <> 'cancelled'
   ORDER BY s.id DESC LIMIT 1);
