#include "throttle.h"

#include <stdlib.h>
#include <string.h>

int throttle_init(struct throttle *t, size_t capacity, unsigned max_failures, double first_delay,
                  double max_delay, double window)
{
    memset(t, 0, sizeof(*t));
    t->nsets = (capacity + THROTTLE_WAYS - 1) / THROTTLE_WAYS;
    if (t->nsets == 0)
        t->nsets = 1;
    t->entries = calloc(t->nsets * THROTTLE_WAYS, sizeof(*t->entries));
    if (!t->entries)
        return -1;
    t->max_failures = max_failures;
    t->first_delay = first_delay;
    t->max_delay = max_delay;
    t->window = window;
    return 0;
}

void throttle_free(struct throttle *t)
{
    free(t->entries);
    memset(t, 0, sizeof(*t));
}

static struct throttle_entry *set_of(const struct throttle *t, const uint8_t *key)
{
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h = h << 8 | key[i];
    return &t->entries[(h % t->nsets) * THROTTLE_WAYS];
}

static int forgotten(const struct throttle *t, const struct throttle_entry *e, double now)
{
    return e->failures == 0 || now - e->last >= t->window;
}

static struct throttle_entry *find(const struct throttle *t, const uint8_t *key, double now)
{
    struct throttle_entry *set = set_of(t, key);
    for (int i = 0; i < THROTTLE_WAYS; i++)
        if (!forgotten(t, &set[i], now) && memcmp(set[i].key, key, THROTTLE_KEY_SIZE) == 0)
            return &set[i];
    return NULL;
}

/* The wait after the n-th failure. */
static double delay_after(const struct throttle *t, unsigned failures)
{
    if (failures < t->max_failures)
        return 0;
    double d = t->first_delay;
    for (unsigned n = t->max_failures; n < failures && d < t->max_delay; n++)
        d *= 2;
    return d < t->max_delay ? d : t->max_delay;
}

double throttle_wait(const struct throttle *t, const uint8_t key[THROTTLE_KEY_SIZE], double now)
{
    const struct throttle_entry *e = find(t, key, now);
    if (!e)
        return 0;
    double wait = e->last + delay_after(t, e->failures) - now;
    return wait > 0 ? wait : 0;
}

unsigned throttle_failures(const struct throttle *t, const uint8_t key[THROTTLE_KEY_SIZE],
                           double now)
{
    const struct throttle_entry *e = find(t, key, now);
    return e ? e->failures : 0;
}

unsigned throttle_fail(struct throttle *t, const uint8_t key[THROTTLE_KEY_SIZE], double now)
{
    struct throttle_entry *e = find(t, key, now);
    if (!e) {
        struct throttle_entry *set = set_of(t, key);
        for (int i = 0; i < THROTTLE_WAYS && !e; i++)
            if (forgotten(t, &set[i], now))
                e = &set[i];
        if (!e) {
            /* Full: the fewest failures go first, the older of two. */
            e = &set[0];
            for (int i = 1; i < THROTTLE_WAYS; i++)
                if (set[i].failures < e->failures ||
                    (set[i].failures == e->failures && set[i].last < e->last))
                    e = &set[i];
        }
        memcpy(e->key, key, THROTTLE_KEY_SIZE);
        e->failures = 0;
    }
    if (e->failures < 0xffffffffu)
        e->failures++;
    e->last = now;
    return e->failures;
}
