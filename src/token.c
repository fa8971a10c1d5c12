#include "token.h"

#include "buf.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

char *token_new(void)
{
    unsigned char raw[TOKEN_BYTES];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n <= 0)
            abort(); /* no randomness, no tokens */
        got += (size_t)n;
    }
    return base64url_encode(raw, sizeof(raw));
}

int token_well_formed(const char *t)
{
    return t && strlen(t) == TOKEN_CHARS &&
           strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
               TOKEN_CHARS;
}

char *token_link(const char *url_template, const char *token)
{
    struct buf b = BUF_INIT;
    const char *at = strstr(url_template, "{token}");
    if (!at) {
        buf_adds(&b, url_template);
        return buf_detach(&b);
    }
    buf_add(&b, url_template, (size_t)(at - url_template));
    buf_adds(&b, token);
    buf_adds(&b, at + 7);
    return buf_detach(&b);
}
