/*
 * spares.h: buffers and pools kept for the next request (spares.c), so a
 * worker in its stride allocates nothing per request, and given back once
 * the burst that needed them is over.
 */
#ifndef BN_SPARES_H
#define BN_SPARES_H

#include "types.h"

#define BN_SPARES_MAX 64

typedef struct bn_spares_s {
    void *items[BN_SPARES_MAX]; /* the most recently used last */
    unsigned n;
    unsigned low; /* the fewest spares held since the last trim */
    void (*destroy)(void *item);
    bool registered; /* on the list trim_spares() goes through */
} bn_spares_t;

/* A spare of s, or NULL when it holds none. */
void *bn_spare_get(bn_spares_t *s);
/* Keeps item for a later bn_spare_get(), or destroys it when s is full. */
void bn_spare_put(bn_spares_t *s, void *item);

#endif
