-- accountd migration 022: storefront fixes of the round-3 walkthrough of
-- seed 002 (docs/api.md, "Storefronts" and "Subscriptions").
--
-- A storefront host belongs to one distributor: its resellers' URLs are
-- https://<host>/<alias>, and another distributor setting the same host
-- took aliases from them. accounts.storefront_host_name is the host's name
-- without a ":port" in lower case (nginx's $host, which the sign-in check
-- compares, has no port), UNIQUE: PUT .../storefront-host with a name
-- another distributor has is 409. NULL (the config's host, shared by every
-- distributor without its own) may repeat.
--
-- Distributors that already share a name: the one with the lowest id keeps
-- it; each later one returns to the config's host (audit storefront.host),
-- and its storefronts move there, those whose alias is already taken
-- there getting "<alias>-<id>" (audit storefront.rename), as migration 013
-- did for clashing URLs.
CREATE TEMPORARY TABLE storefront_host_losers AS
  SELECT later.id, later.storefront_host
    FROM accounts later
    JOIN accounts older
      ON LOWER(SUBSTRING_INDEX(older.storefront_host, ':', 1))
         = LOWER(SUBSTRING_INDEX(later.storefront_host, ':', 1))
     AND older.id < later.id
   GROUP BY later.id, later.storefront_host;

UPDATE accounts a JOIN storefront_host_losers l ON l.id = a.id SET a.storefront_host = NULL;

INSERT INTO audit (uid, account_id, action, old_value, new_value)
  SELECT 'accountd-migrate', l.id, 'storefront.host',
         JSON_OBJECT('storefront_host', l.storefront_host),
         JSON_OBJECT('storefront_host', NULL,
                     'reason', 'another distributor had this storefront host first')
    FROM storefront_host_losers l;

DROP TEMPORARY TABLE storefront_host_losers;

-- Their storefronts, still under the old host, move to the config's ('').
CREATE TEMPORARY TABLE storefront_moves AS
  SELECT s.id, s.account_id, s.alias AS old_alias,
         IF(EXISTS (SELECT 1 FROM storefronts o WHERE o.host = '' AND o.alias = s.alias)
            OR EXISTS (SELECT 1 FROM storefronts o JOIN accounts od ON od.id = o.distributor_id
                        WHERE od.storefront_host IS NULL AND o.host <> ''
                          AND o.alias = s.alias AND o.id < s.id),
            CONCAT(LEFT(s.alias, 40), '-', s.id), s.alias) AS new_alias
    FROM storefronts s JOIN accounts d ON d.id = s.distributor_id
   WHERE d.storefront_host IS NULL AND s.host <> '';

UPDATE storefronts s JOIN storefront_moves m ON m.id = s.id SET s.host = '', s.alias = m.new_alias;

INSERT INTO audit (uid, account_id, action, old_value, new_value)
  SELECT 'accountd-migrate', m.account_id, 'storefront.rename',
         JSON_OBJECT('storefront_id', m.id, 'alias', m.old_alias),
         JSON_OBJECT('storefront_id', m.id, 'alias', m.new_alias,
                     'reason', 'the URL was another storefront''s')
    FROM storefront_moves m WHERE m.new_alias <> m.old_alias;

DROP TEMPORARY TABLE storefront_moves;

ALTER TABLE accounts
  ADD COLUMN storefront_host_name VARCHAR(253)
      AS (LOWER(SUBSTRING_INDEX(storefront_host, ':', 1))) PERSISTENT AFTER storefront_host,
  ADD UNIQUE KEY uq_accounts_storefront_host_name (storefront_host_name);

-- A subscription shows the storefront it had, not the account's current
-- one: an ended subscription (term end, replaced by an order) keeps the
-- alias its storefront had when it ended. Subscriptions ended before this
-- migration do not know it (NULL: their storefront shows null).
ALTER TABLE subscriptions
  ADD COLUMN ended_storefront_alias VARCHAR(63) NULL AFTER ended_reason;
