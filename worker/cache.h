/* cache.h: what worker/cache.c exports. */
#ifndef BN_WORKER_CACHE_H
#define BN_WORKER_CACHE_H

#include "types.h"

/* The waiting lists of conf's cache zones, each woken by its zone's eventfd. */
int bn_cache_init(bn_conf_t *conf);
/* For a request on a caching route: answers it from the cache (BN_DONE),
 * waits for another request to fill the key (BN_AGAIN: the cache goes on
 * with it later), or marks it to be stored (BN_DECLINED: go upstream). */
int bn_cache_request(bn_request_t *r);
/* The upstream's head arrived, with a stale entry in hand: a 304 to its
 * validators refreshes and serves it, a 5xx may let it answer (use_stale).
 * BN_DONE when the cache took over the response, else BN_OK. */
int bn_cache_upstream_head(bn_request_t *r);
/* The upstream failed (status 502 or 504): true when a stale entry answers. */
bool bn_cache_stale_on_failure(bn_request_t *r, int status);
/* The upstream's head arrived: starts storing when the response may be. */
void bn_cache_response(bn_request_t *r);
/* A PURGE request: 200 when an entry went, 404 when there was none, 403
 * from outside purge_allow. */
int bn_cache_purge(bn_request_t *r);
/* Moves a cached response to the client: 1 progress, 0 blocked, BN_DONE,
 * BN_ERROR (the client is gone). */
int bn_cache_send(bn_request_t *r);
/* The request ends: a complete stored response enters the index, anything
 * else is thrown away; then its fill lock goes, waking who waits for it (a
 * waiter that ends leaves the waiting list). */
void bn_cache_finish(bn_request_t *r, bool complete);
/* The head of a background refresh's answer arrived (r->resp_pipe is set up
 * for its body): BN_DONE when a 304 renewed the entry, BN_OK when the body
 * is being stored (the pipe tees it), BN_DECLINED when the answer may not
 * be stored, BN_ERROR for a 5xx.  Except after BN_OK, the stale entry stays
 * as it was. */
int bn_cache_refresh_head(bn_request_t *r);

/* The phase handlers, each in the file of what it does. */
int bn_cache_phase(bn_request_t *r);

#endif
