-- accountd migration 007: the commercial half (DESIGN.md "Plans, orders,
-- subscriptions, licenses"): the catalog (plans, articles and the licenses
-- each article grants, shipped as seed data below), orders, subscriptions,
-- storefronts, licenses, invoices and quotes.
--
-- Money is always an integer count of the currency's minor units (cents)
-- next to an ISO 4217 currency code; never a floating-point number.

-- A distributor's storefront host ("cloud.disti.com"); NULL: the config's
-- storefront_host. A reseller's storefront URL is https://<host>/<alias>.
ALTER TABLE accounts ADD COLUMN storefront_host VARCHAR(253) NULL AFTER plan;

-- Plans: reseller plans (basic, free, standard; interworks) and customer
-- plans with a pricing model (LineMetrics). needs_storefront: ordering the
-- plan needs a storefront alias.
CREATE TABLE plans (
  code             VARCHAR(32) NOT NULL PRIMARY KEY,
  name             VARCHAR(100) NOT NULL,
  audience         ENUM('reseller','customer') NOT NULL,
  pricing_model    ENUM('free','flat','per_unit') NOT NULL,
  needs_storefront BOOLEAN NOT NULL DEFAULT FALSE,
  position         INT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The allowed plan changes; anything else is refused (409).
CREATE TABLE plan_upgrades (
  from_plan  VARCHAR(32) NOT NULL,
  to_plan    VARCHAR(32) NOT NULL,
  PRIMARY KEY (from_plan, to_plan),
  CONSTRAINT fk_upgrades_from FOREIGN KEY (from_plan) REFERENCES plans (code),
  CONSTRAINT fk_upgrades_to FOREIGN KEY (to_plan) REFERENCES plans (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Articles: what can be ordered. An article with a plan puts the account on
-- that plan; price per unit and term.
CREATE TABLE articles (
  code         VARCHAR(64) NOT NULL PRIMARY KEY,
  name         VARCHAR(200) NOT NULL,
  plan         VARCHAR(32) NULL,
  price_minor  BIGINT NOT NULL CHECK (price_minor >= 0),
  currency     CHAR(3) NOT NULL,
  term_months  INT UNSIGNED NOT NULL CHECK (term_months BETWEEN 1 AND 120),
  position     INT UNSIGNED NOT NULL,
  UNIQUE KEY uq_articles_plan (plan),
  CONSTRAINT fk_articles_plan FOREIGN KEY (plan) REFERENCES plans (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The licenses an article grants per unit ordered: a feature key and a
-- quantity (LineMetrics: assets 50, data-loggers 10).
CREATE TABLE article_licenses (
  article   VARCHAR(64) NOT NULL,
  feature   VARCHAR(64) NOT NULL,
  quantity  INT UNSIGNED NOT NULL,
  PRIMARY KEY (article, feature),
  CONSTRAINT fk_article_licenses_article FOREIGN KEY (article) REFERENCES articles (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Storefronts of resellers, one per reseller and distributor; the alias is
-- unique per distributor (the UNIQUE index decides a race: 1062 is 409).
-- A cancelled storefront keeps its row (and alias) until retain_until,
-- then the maintenance job deletes it, which frees the alias.
CREATE TABLE storefronts (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  distributor_id  BIGINT UNSIGNED NOT NULL,
  account_id      BIGINT UNSIGNED NOT NULL,
  alias           VARCHAR(63) NOT NULL,
  status          ENUM('active','cancelled') NOT NULL DEFAULT 'active',
  created_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  cancelled_at    DATETIME(6) NULL,
  retain_until    DATETIME(6) NULL,
  UNIQUE KEY uq_storefronts_alias (distributor_id, alias),
  UNIQUE KEY uq_storefronts_account (account_id, distributor_id),
  KEY ix_storefronts_alias (alias),
  KEY ix_storefronts_purge (status, retain_until),
  CONSTRAINT fk_storefronts_distributor FOREIGN KEY (distributor_id) REFERENCES accounts (id),
  CONSTRAINT fk_storefronts_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Orders: draft -> executed | discarded.
CREATE TABLE orders (
  id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id        BIGINT UNSIGNED NOT NULL,
  status            ENUM('draft','executed','discarded') NOT NULL DEFAULT 'draft',
  storefront_alias  VARCHAR(63) NULL,
  currency          CHAR(3) NOT NULL,
  total_minor       BIGINT NOT NULL,
  created_by        VARCHAR(255) NOT NULL,
  created_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  executed_by       VARCHAR(255) NULL,
  executed_at       DATETIME(6) NULL,
  subscription_id   BIGINT UNSIGNED NULL,
  invoice_id        BIGINT UNSIGNED NULL,
  KEY ix_orders_account (account_id, id),
  CONSTRAINT fk_orders_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE order_lines (
  order_id          BIGINT UNSIGNED NOT NULL,
  line_no           INT UNSIGNED NOT NULL,
  article           VARCHAR(64) NOT NULL,
  quantity          INT UNSIGNED NOT NULL,
  unit_price_minor  BIGINT NOT NULL,
  PRIMARY KEY (order_id, line_no),
  CONSTRAINT fk_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT fk_order_lines_article FOREIGN KEY (article) REFERENCES articles (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Subscriptions: what an executed order created. status: active ->
-- pending_cancellation (cancel; uncancel goes back) -> cancelled (the
-- maintenance job, at ends_at). Also cancelled when an upgrade order
-- replaces it (ended_reason 'replaced').
CREATE TABLE subscriptions (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id     BIGINT UNSIGNED NOT NULL,
  order_id       BIGINT UNSIGNED NOT NULL,
  plan           VARCHAR(32) NULL,
  storefront_id  BIGINT UNSIGNED NULL,
  status         ENUM('active','pending_cancellation','cancelled') NOT NULL DEFAULT 'active',
  term_months    INT UNSIGNED NOT NULL,
  started_at     DATETIME(6) NOT NULL,
  ends_at        DATETIME(6) NOT NULL,
  cancel_requested_at DATETIME(6) NULL,
  ended_at       DATETIME(6) NULL,
  ended_reason   ENUM('cancelled','replaced') NULL,
  KEY ix_subscriptions_account (account_id, id),
  KEY ix_subscriptions_due (status, ends_at),
  CONSTRAINT fk_subscriptions_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT fk_subscriptions_plan FOREIGN KEY (plan) REFERENCES plans (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The articles a subscription holds (its order's lines; an upgrade swaps
-- the plan article). What it grants is derived from article_licenses.
CREATE TABLE subscription_articles (
  subscription_id   BIGINT UNSIGNED NOT NULL,
  article           VARCHAR(64) NOT NULL,
  quantity          INT UNSIGNED NOT NULL,
  unit_price_minor  BIGINT NOT NULL,
  PRIMARY KEY (subscription_id, article),
  CONSTRAINT fk_sub_articles_sub FOREIGN KEY (subscription_id) REFERENCES subscriptions (id),
  CONSTRAINT fk_sub_articles_article FOREIGN KEY (article) REFERENCES articles (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- An account's licenses: one row per feature, the sum of what its live
-- subscriptions grant, how much of it other services consumed, and the
-- license key for downloads. consume is one UPDATE ... WHERE used + n <=
-- quantity, so concurrent consumes never exceed the quota.
CREATE TABLE licenses (
  account_id   BIGINT UNSIGNED NOT NULL,
  feature      VARCHAR(64) NOT NULL,
  quantity     INT UNSIGNED NOT NULL,
  used         INT UNSIGNED NOT NULL DEFAULT 0,
  license_key  CHAR(29) NOT NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (account_id, feature),
  UNIQUE KEY uq_licenses_key (license_key),
  CONSTRAINT fk_licenses_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Invoices, written when an order executes, a subscription is upgraded or
-- renewed. line_items: [{article, quantity, unit_price_minor, amount_minor}].
CREATE TABLE invoices (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id       BIGINT UNSIGNED NOT NULL,
  subscription_id  BIGINT UNSIGNED NULL,
  order_id         BIGINT UNSIGNED NULL,
  reason           ENUM('order','upgrade','renewal') NOT NULL,
  currency         CHAR(3) NOT NULL,
  total_minor      BIGINT NOT NULL,
  line_items       JSON NOT NULL CHECK (JSON_VALID(line_items)),
  period_start     DATETIME(6) NULL,
  period_end       DATETIME(6) NULL,
  issued_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_invoices_account (account_id, id),
  CONSTRAINT fk_invoices_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Quotes requested by customers (Inflectra): lines priced from the catalog.
CREATE TABLE quotes (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id    BIGINT UNSIGNED NOT NULL,
  status        ENUM('requested') NOT NULL DEFAULT 'requested',
  currency      CHAR(3) NOT NULL,
  total_minor   BIGINT NOT NULL,
  line_items    JSON NOT NULL CHECK (JSON_VALID(line_items)),
  requested_by  VARCHAR(255) NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  valid_until   DATETIME(6) NOT NULL,
  KEY ix_quotes_account (account_id, id),
  CONSTRAINT fk_quotes_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The catalog (seed data).
INSERT INTO plans (code, name, audience, pricing_model, needs_storefront, position) VALUES
('basic', 'Basic', 'reseller', 'free', FALSE, 1),
('free', 'Free Edition', 'reseller', 'free', TRUE, 2),
('standard', 'Standard Edition', 'reseller', 'flat', TRUE, 3),
('starter', 'Starter', 'customer', 'flat', FALSE, 10),
('professional', 'Professional', 'customer', 'per_unit', FALSE, 11),
('enterprise', 'Enterprise', 'customer', 'per_unit', FALSE, 12);

INSERT INTO plan_upgrades (from_plan, to_plan) VALUES
('basic', 'free'), ('basic', 'standard'), ('free', 'standard'),
('starter', 'professional'), ('starter', 'enterprise'), ('professional', 'enterprise');

INSERT INTO articles (code, name, plan, price_minor, currency, term_months, position) VALUES
('reseller-free', 'Reseller Free Edition', 'free', 0, 'EUR', 12, 1),
('reseller-standard', 'Reseller Standard Edition', 'standard', 49000, 'EUR', 12, 2),
('starter', 'Starter plan', 'starter', 1900, 'EUR', 1, 10),
('professional', 'Professional plan', 'professional', 4900, 'EUR', 1, 11),
('enterprise', 'Enterprise plan', 'enterprise', 19900, 'EUR', 12, 12),
('assets-pack', 'Assets pack (50 assets)', NULL, 2500, 'EUR', 1, 20),
('data-logger', 'Data logger license', NULL, 990, 'EUR', 12, 21),
('api-seats', 'API seats (10)', NULL, 1500, 'EUR', 1, 22);

INSERT INTO article_licenses (article, feature, quantity) VALUES
('reseller-free', 'storefront-customers', 25),
('reseller-standard', 'storefront-customers', 1000),
('reseller-standard', 'storefront-admins', 10),
('starter', 'assets', 50),
('starter', 'data-loggers', 10),
('professional', 'assets', 200),
('professional', 'data-loggers', 50),
('enterprise', 'assets', 5000),
('enterprise', 'data-loggers', 1000),
('assets-pack', 'assets', 50),
('data-logger', 'data-loggers', 1),
('api-seats', 'api-seats', 10);
