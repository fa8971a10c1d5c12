-- accountd migration 023: each article of a subscription is paid for its
-- own term (docs/api.md, "Subscriptions", renew). A renewal billed every
-- line at each renewal of the subscription's term, so a data logger or an
-- enterprise plan priced for 12 months was billed again every month of a
-- monthly subscription (round-3 walkthrough of seed 001).
--
-- paid_months: how many months from the subscription's started_at the
-- line is paid for. An executed order pays each line for its article's
-- term_months; a renewal bills the lines whose paid months end before the
-- new ends_at, each for as many of its own terms as reach it.
ALTER TABLE subscription_articles
  ADD COLUMN paid_months INT UNSIGNED NOT NULL DEFAULT 0;

-- The lines made before: paid at least for their own term and up to the
-- term's end (every renewal billed them so far). The months that reach
-- ends_at from started_at, a month cut short by the end of a month counted.
UPDATE subscription_articles sa
  JOIN subscriptions s ON s.id = sa.subscription_id
  JOIN articles a ON a.code = sa.article
  SET sa.paid_months = GREATEST(a.term_months,
    TIMESTAMPDIFF(MONTH, s.started_at, s.ends_at)
    + (s.started_at + INTERVAL TIMESTAMPDIFF(MONTH, s.started_at, s.ends_at) MONTH < s.ends_at));
