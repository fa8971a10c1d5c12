-- accountd migration 009: a partner's request for a customer relation
-- (POST /accounts/{id}/customer-relations) is mailed to the customer's
-- notification recipients and admins; a distributor or the operator may
-- override the template like any other (PUT .../notification-templates/
-- relation-requested).
INSERT INTO notification_templates (account_id, name, subject, body) VALUES
(NULL, 'relation-requested', '{{partner_name}} asks to become a partner of {{account_name}}',
 'Hello,\n\n{{requested_by}} of {{partner_name}} asks to record a customer relation with {{account_name}}: {{partner_name}} would become your partner (reseller). This grants them no access to your account.\n\nAn administrator of {{account_name}} approves or declines request {{relation_id}}:\n  POST /api/v1/customer-relations/{{relation_id}}/approve\n  POST /api/v1/customer-relations/{{relation_id}}/decline\nGET /api/v1/accounts/<your account id>/customer-relations?status=pending lists the open requests.\n\nIf you do not know {{partner_name}}, decline the request.\n');
