/*
 * throttle: how long the next sign-in attempt for one key must wait, from
 * the failed attempts counted under that key. Pure code: the caller passes
 * the time (seconds on a monotonic clock) and the key, and holds a lock
 * around every call when several threads share a table.
 *
 * The rule: after `max_failures` failures the next attempt must wait
 * `first_delay` seconds after the last failure, and each further failure
 * doubles that, up to `max_delay` seconds. A key with no failure for
 * `window` seconds starts again from zero. So guesses under one key never
 * come faster than one per max_delay seconds once it is reached, and an
 * attempt is never refused for longer than max_delay seconds.
 *
 * Memory is fixed at init: the table is set-associative (THROTTLE_WAYS
 * entries per set, the set chosen by the key's first bytes). Keys must be
 * hashes an attacker cannot steer (salted), so nobody can aim at one set.
 * When a set is full, a new key replaces a forgotten entry, else the one
 * with the fewest failures: keys that are being guessed hard are the last
 * to go.
 */
#ifndef ACCOUNTD_THROTTLE_H
#define ACCOUNTD_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_KEY_SIZE 32
#define THROTTLE_WAYS     8

struct throttle_entry {
    uint8_t key[THROTTLE_KEY_SIZE];
    unsigned failures; /* 0: a free slot */
    double last;       /* time of the last failure */
};

struct throttle {
    struct throttle_entry *entries; /* nsets * THROTTLE_WAYS */
    size_t nsets;
    /* The rule; the caller may change these between calls. */
    unsigned max_failures;
    double first_delay;
    double max_delay;
    double window;
};

/* Allocates about `capacity` entries (rounded up to whole sets) and sets
 * the rule. Returns 0, or -1 when out of memory. */
int throttle_init(struct throttle *t, size_t capacity, unsigned max_failures, double first_delay,
                  double max_delay, double window);
void throttle_free(struct throttle *t);

/* Seconds the key must still wait before its next attempt (0: it may try
 * now). */
double throttle_wait(const struct throttle *t, const uint8_t key[THROTTLE_KEY_SIZE], double now);
/* Counts one failed attempt; returns the key's failures so far. */
unsigned throttle_fail(struct throttle *t, const uint8_t key[THROTTLE_KEY_SIZE], double now);
/* Failures counted for the key (0 if none or forgotten). */
unsigned throttle_failures(const struct throttle *t, const uint8_t key[THROTTLE_KEY_SIZE],
                           double now);

#endif
