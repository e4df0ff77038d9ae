/* cache.h: what worker/cache.c exports. */
#ifndef BN_WORKER_CACHE_H
#define BN_WORKER_CACHE_H

#include "types.h"

/* The waiting lists of conf's cache zones, each woken by its zone's eventfd. */
int bn_cache_init(bn_conf_t *conf);
/* The upstream's head arrived, with a stale entry in hand: a 304 to its
 * validators refreshes and serves it, a 5xx may let it answer (use_stale).
 * BN_DONE when the cache took over the response, else BN_OK. */
int bn_cache_upstream_head(bn_request_t *r);
/* The upstream failed (status 502 or 504): true when a stale entry answers. */
bool bn_cache_stale_on_failure(bn_request_t *r, int status);
/* The upstream's head arrived: starts storing when the response may be. */
void bn_cache_response(bn_request_t *r);
/* Moves a cached response to the client: 1 progress, 0 blocked, BN_DONE,
 * BN_ERROR (the client is gone). */
int bn_cache_send(bn_request_t *r);
/* The request ends: a complete stored response enters the index, anything
 * else is thrown away; then its fill lock goes, waking who waits for it (a
 * waiter that ends leaves the waiting list). */
void bn_cache_finish(bn_request_t *r, bool complete);

/*
 * r's cache key (r->cache.key_text, and its hash in r->cache.key) on its
 * route, which caches, and whether the request may be answered from the
 * cache: BN_OK, with *no_cache when the client asks for the origin's word
 * (the entry is revalidated); BN_DECLINED when it bypasses the cache, *why
 * saying why (why may be NULL).
 */
int bn_cache_request_key(bn_request_t *r, bool *no_cache, const char **why);

/* The phase handlers, each in the file of what it does. */
int bn_cache_phase(bn_request_t *r);

#endif
