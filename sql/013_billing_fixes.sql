-- accountd migration 013: billing fixes (docs/api.md "Plans, orders,
-- subscriptions, storefronts, licenses").
--
-- A storefront's URL is https://<host>/<alias>, and distributors without a
-- host of their own all share the config's storefront_host: an alias is
-- therefore unique per host, not per distributor. storefronts.host is the
-- distributor's own storefront host, or '' for the config's (a NULL would
-- let the UNIQUE index hold duplicates); accountd keeps it equal to the
-- distributor's accounts.storefront_host (PUT .../storefront-host).
ALTER TABLE storefronts ADD COLUMN host VARCHAR(253) NOT NULL DEFAULT '' AFTER distributor_id;

UPDATE storefronts s JOIN accounts d ON d.id = s.distributor_id
   SET s.host = LOWER(COALESCE(d.storefront_host, ''));

-- Storefronts that already share a URL (two distributors on the same host
-- before this migration): the older keeps the alias, each later one gets
-- "<alias>-<id>" (a URL nobody else can have), with an audit row.
CREATE TEMPORARY TABLE storefront_clashes AS
  SELECT later.id, later.account_id, later.alias AS old_alias,
         CONCAT(LEFT(later.alias, 40), '-', later.id) AS new_alias
    FROM storefronts later
    JOIN storefronts older ON older.host = later.host AND older.alias = later.alias
                          AND older.id < later.id
   GROUP BY later.id, later.account_id, later.alias;

UPDATE storefronts s JOIN storefront_clashes c ON c.id = s.id SET s.alias = c.new_alias;

INSERT INTO audit (uid, account_id, action, old_value, new_value)
  SELECT 'accountd-migrate', c.account_id, 'storefront.rename',
         JSON_OBJECT('storefront_id', c.id, 'alias', c.old_alias),
         JSON_OBJECT('storefront_id', c.id, 'alias', c.new_alias,
                     'reason', 'the URL was another storefront''s')
    FROM storefront_clashes c;

DROP TEMPORARY TABLE storefront_clashes;

ALTER TABLE storefronts
  DROP INDEX uq_storefronts_alias,
  ADD UNIQUE KEY uq_storefronts_url (host, alias),
  ADD KEY ix_storefronts_distributor (distributor_id, alias);

-- A discarded order was never executed: who discarded it and when have
-- their own columns (executed_by/_at stayed set by discard before).
ALTER TABLE orders
  ADD COLUMN discarded_by VARCHAR(255) NULL AFTER executed_at,
  ADD COLUMN discarded_at DATETIME(6) NULL AFTER discarded_by;

UPDATE orders SET discarded_by = executed_by, discarded_at = executed_at,
                  executed_by = NULL, executed_at = NULL
 WHERE status = 'discarded';
