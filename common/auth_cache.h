/*
 * auth_cache.h: forward auth's answers, kept in shared memory for every
 * worker (forward.cache).  The master maps the zone at start; workers look
 * answers up and store them under its lock, by a key the caller makes: a
 * keyed hash of everything the answer may depend on.
 */
#ifndef BN_AUTH_CACHE_H
#define BN_AUTH_CACHE_H

#include "bouncer.h"

#define BN_AUTH_CACHE_KEY 32
#define BN_AUTH_CACHE_MAX 1900 /* bytes of an answer kept; larger ones are not */

typedef struct bn_auth_cache_s bn_auth_cache_t;

/* The one zone, mapped by the master before it forks (NULL until then). */
extern bn_auth_cache_t *bn_auth_cache;

int bn_auth_cache_create(size_t memory);

/* Copies the answer of key into buf (cap bytes) and returns its length,
 * or 0 when there is none, or it expired (now: monotonic msec). */
size_t bn_auth_cache_get(bn_auth_cache_t *c, const unsigned char *key, uint64_t now, char *buf,
                         size_t cap);

/* Keeps data as the answer of key until `until` (monotonic msec); does
 * nothing when it is over BN_AUTH_CACHE_MAX or memory is short. */
void bn_auth_cache_put(bn_auth_cache_t *c, const unsigned char *key, uint64_t now, uint64_t until,
                       const char *data, size_t len);

#endif
