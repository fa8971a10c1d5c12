/*
 * token: the single-use secrets of mailed links (invitations, password
 * resets): 32 random bytes as base64url, stored only as their SHA-256
 * (validate.h sha256_hex), and put into a configured URL at {token}.
 */
#ifndef ACCOUNTD_TOKEN_H
#define ACCOUNTD_TOKEN_H

#define TOKEN_BYTES 32
#define TOKEN_CHARS 43 /* base64url of 32 bytes, no padding */

/* A new token (malloc'ed); aborts without randomness. */
char *token_new(void);
/* 1 if t has a token's form (TOKEN_CHARS base64url characters). */
int token_well_formed(const char *t);
/* url_template with its "{token}" replaced by token (malloc'ed); the
 * template was checked to hold "{token}" when the configuration was read. */
char *token_link(const char *url_template, const char *token);

#endif
