/*
 * relations: customer relations (STACKIT method 1), what other modules
 * call besides the routes (handlers.h): closing an account ends its
 * pending relation requests and tells the other side; creating a customer
 * under a partner tells the partner when someone else created it.
 *
 * Use: relations_closing_read() before the close's transaction (it reads
 * the directory), relations_close_pending() inside it,
 * relations_closing_free() after; relations_created_read(),
 * relations_created_mail() and relations_created_free() likewise around
 * the create's transaction.
 */
#ifndef ACCOUNTD_RELATIONS_H
#define ACCOUNTD_RELATIONS_H

#include "billing_notify.h"

struct sql_store;

/* Who is told of each pending request of a closing account: the other
 * side's account and its people (malloc'ed; relations_closing_free). */
struct relations_closing {
    size_t n;
    unsigned long long *accounts;
    struct billing_people *people;
    /* The partners of its active relations as the customer, and their
     * people (contacts, else admins), told that the close ended them
     * (round-21 walkthrough of seed 003, D3). */
    size_t nactive;
    unsigned long long *partners;
    struct billing_people *partner_people;
    /* The customers of its active relations as the partner that are not
     * its children, and their admins, told that the close ended them
     * (round-27 walkthrough of seed 003, D1). */
    size_t ncustomers;
    unsigned long long *customers;
    struct billing_people *customer_people;
    /* Who reads the close's account-closed (the closed account's
     * contacts, else admins; its notification recipients are read in the
     * transaction): not mailed relation-ended too. Not owned; may be
     * NULL. */
    const struct billing_people *closed_readers;
    /* The closed account as the close's transaction reads it once
     * (close_steps, for account-closed too): its name, its notification
     * recipients (readers of account-closed, so not mailed relation-ended
     * either) and its own live storefront's URL (NULL: none). Not owned;
     * set before relations_close_customers and relations_close_active. */
    const char *closed_name;
    char **closed_rcpt;
    size_t nclosed_rcpt;
    const char *closed_url;
    /* Who closed it, as the other sides' mails name them: by name when
     * they are its admin, else as operator staff acting for it (round-12
     * walkthrough of seed 003, D1). */
    char *actor;
};

/* Outside a transaction: the other sides of account_id's pending
 * requests and their people (a partner's contacts, else its admins; a
 * customer's admins), read from the directory. */
int relations_closing_read(struct request *req, unsigned long long account_id,
                           struct relations_closing *out);
void relations_closing_free(struct relations_closing *c);

/* Inside the close's transaction: the pending relation requests of
 * account_id, on either side, end (round-4 walkthrough of seed 003: a
 * closed account can neither approve nor be approved, so they would stay
 * pending for ever), by who (the one closing it), with a reason "account
 * closed" in the audit rows on both accounts: declined when account_id is
 * the customer (relation.decline; the partner is mailed relation-decided),
 * withdrawn when it is the partner (relation.withdraw; the customer is
 * mailed relation-withdrawn) (stop-18 leftover). told: from
 * relations_closing_read; a request that came after it is mailed to the
 * other side's notification recipients only. */
int relations_close_pending(struct sql_store *sql, const struct caller *who,
                            unsigned long long account_id, const struct relations_closing *told);
/* Inside the close's transaction, after relations_close_pending: the
 * active relations in which account_id is the customer end (status
 * ended, ended_by who; relation.end on both accounts with reason
 * "account closed" and closed_account_id), and each partner's contacts
 * (else admins) and notification recipients are mailed relation-ended,
 * saying that the customer was closed (round-21 walkthrough of seed 003,
 * D3: the relation stayed active and the partner was not told). The
 * closed customer's own readers get account-closed, not this. */
int relations_close_active(struct sql_store *sql, const struct caller *who,
                           unsigned long long account_id, const struct relations_closing *told);
/* Inside the close's transaction: the active relations in which
 * account_id is the partner and the customer is not its child end the
 * same way (ended_by who; relation.end on both accounts with reason
 * "account closed" and closed_account_id), and each customer's admins
 * (the closer left out) and notification recipients, nobody who reads
 * account-closed, are mailed relation-ended saying that the partner was
 * closed and asks for no new relation (round-27 walkthrough of seed 003,
 * D1: the relations stayed active with a closed partner and nobody was
 * told). A child's relation stays as it is: parent-closed tells it, and
 * the closed parent's storefront still admits its people to the term end.
 * *ended: how many ended (account-closed counts them). */
int relations_close_customers(struct sql_store *sql, const struct caller *who,
                              unsigned long long account_id, const struct relations_closing *told,
                              size_t *ended);

/* A customer organization created under a partner records an active
 * relation (accounts.c); when its creator is operator staff (the seed's
 * "Partner Sales Account Manager", whatever roles they hold in the
 * partner: round-14 walkthrough of seed 003, D1) or anyone else who is
 * none of the partner's people, the partner's contacts (else its admins)
 * and notification recipients, the creator left out, are mailed
 * relation-created, so that it need not poll GET …/customers (round-12
 * walkthrough of seed 003, D3). */
struct relations_created {
    char *created_by; /* NULL: nobody is told (the creator is the partner's own) */
    struct billing_people people;
};

/* Outside the create's transaction: whether the partner is told, and
 * whom (read from the directory). */
int relations_created_read(struct request *req, unsigned long long partner_id,
                           struct relations_created *out);
/* Inside it, after the relation's row: the mail, if told says so. */
int relations_created_mail(struct sql_store *sql, const struct relations_created *told,
                           unsigned long long partner_id, unsigned long long customer_id,
                           unsigned long long relation_id);
void relations_created_free(struct relations_created *c);

#endif
