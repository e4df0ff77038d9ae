/* cache_refresh.h: what worker/cache_refresh.c exports. */
#ifndef BN_WORKER_CACHE_REFRESH_H
#define BN_WORKER_CACHE_REFRESH_H

#include "types.h"

/*
 * Starts a request of its own, with no client, that fetches r's key again
 * while r is answered from the stale entry: a copy of r's head (as r holds
 * it now), r->out as its upstream head, r's stored entry's metadata, and
 * r's fill lock, which it gives up when it ends.  BN_OK, or BN_ERROR when
 * none could start (r keeps its lock and goes on as before).
 */
int bn_cache_refresh_start(bn_request_t *r);
/*
 * What a refresh reports to the cache that started it (cache.c hands these
 * over at start, so the refresh never calls up into it): head, when the
 * answer's head arrived (refresh_head() in cache.c); finish, when it ends
 * (bn_cache_finish()).
 */
void bn_cache_refresh_hooks(int (*head)(bn_request_t *r), void (*finish)(bn_request_t *r, bool complete));
/* Background requests in flight: a quitting worker waits for them. */
unsigned bn_cache_refreshes(void);

#endif
