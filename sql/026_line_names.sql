-- accountd migration 026: every line of an order, a quote and an invoice
-- carries its article's name (docs/api.md, "Orders", "Invoices",
-- "Quotes"): a customer reading an invoice saw article codes only (seed
-- 001: the articles "show on your invoices and orders"). The name is the
-- catalog's when the line was written and is kept with the line, so a
-- later rename in the catalog changes no invoice, quote or order.
--
-- Lines written before this migration get the catalog's name as it is
-- now; a line whose article the catalog no longer has is named by its
-- code, so that no line is without a name. Running this file again
-- changes nothing (a line that has a name keeps it).

-- Order lines are rows: a column, filled, then required.
ALTER TABLE order_lines ADD COLUMN IF NOT EXISTS name VARCHAR(200) NULL AFTER article;

UPDATE order_lines l LEFT JOIN articles a ON a.code = l.article
   SET l.name = COALESCE(a.name, l.article)
 WHERE l.name IS NULL;

ALTER TABLE order_lines MODIFY name VARCHAR(200) NOT NULL;

-- Invoice and quote lines are JSON arrays of objects ({article, quantity,
-- unit_price, [terms,] amount}): each object gets "name" (JSON_INSERT
-- leaves a name that is there alone), in the order of the lines.
UPDATE invoices i
   SET i.line_items = (
     SELECT JSON_ARRAYAGG(JSON_INSERT(JSON_EXTRACT(i.line_items, CONCAT('$[', jt.n - 1, ']')),
                                      '$.name', COALESCE(a.name, jt.article)) ORDER BY jt.n)
       FROM JSON_TABLE(i.line_items, '$[*]' COLUMNS (n FOR ORDINALITY,
                                                      article VARCHAR(64) PATH '$.article')) jt
       LEFT JOIN articles a ON a.code = jt.article)
 WHERE JSON_LENGTH(i.line_items) > 0;

UPDATE quotes q
   SET q.line_items = (
     SELECT JSON_ARRAYAGG(JSON_INSERT(JSON_EXTRACT(q.line_items, CONCAT('$[', jt.n - 1, ']')),
                                      '$.name', COALESCE(a.name, jt.article)) ORDER BY jt.n)
       FROM JSON_TABLE(q.line_items, '$[*]' COLUMNS (n FOR ORDINALITY,
                                                      article VARCHAR(64) PATH '$.article')) jt
       LEFT JOIN articles a ON a.code = jt.article)
 WHERE JSON_LENGTH(q.line_items) > 0;
