-- accountd migration 047: the password-reset mail says truly who asked
-- (round-13 walkthrough of seed 004, D2). Its text said "{{requested_by}},
-- a named contact of {{account_name}}, asked ...", also when operator
-- staff asked, who are no contact of the account (docs/api.md, "Password
-- resets": operator staff may ask too). No value can make those fixed
-- words true for them, so they leave the template and {{requested_by}}
-- carries the capacity that let the person ask: "Anna Admin, a named
-- contact of <account>" or "Olivia Operator, operator staff of <the
-- operator account>". A contact's mail reads as before. A distributor's or
-- the operator's override that kept the shipped sentence is changed alike;
-- other wording of an override is left as its owner wrote it.

UPDATE notification_templates
   SET body = REPLACE(body, '{{requested_by}}, a named contact of {{account_name}}, asked',
                      '{{requested_by}}, asked')
 WHERE name = 'password-reset';
