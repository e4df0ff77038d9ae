/* upstream.h: what worker/upstream.c exports. */
#ifndef BN_WORKER_UPSTREAM_H
#define BN_WORKER_UPSTREAM_H

#include "types.h"

int bn_upstream_init(bn_conf_t *conf);
/* Gives r a connection (pooled or new); calls back into http.c when ready. */
void bn_upstream_connect(bn_request_t *r);
/* Sends r again, from its first byte, to the same server on a new
 * connection (not the pool). */
void bn_upstream_reconnect(bn_request_t *r);
/* Returns the connection to the pool when reusable, else closes it. */
void bn_upstream_release(bn_request_t *r, bool reusable);
/* Counts a failure of the peer of r->up (passive health), when its
 * upstream's passive_fail_on lists why (a BN_FAIL_* bit). */
void bn_upstream_peer_failed(bn_request_t *r, unsigned why);
void bn_upstream_close_idle(void);
/* Sends r to the server pick_peer() gave it (queue dispatch, connect). */
void bn_upstream_connect_picked(bn_request_t *r);
/* Tries r on another server when that is safe (see the function), logging
 * why; false when it is not, and the caller answers the client. */
bool bn_upstream_retry(bn_request_t *r, int status, const char *why);
void bn_upstream_dequeue(bn_request_t *r);
/* Whether all of r may be sent again: an idempotent method whose whole
 * body (if any) is still in the client buffer. */
bool bn_upstream_replayable(const bn_request_t *r);
/* The sticky cookie value to set on r's response, or NULL. */
const char *bn_upstream_sticky_value(bn_request_t *r);

#endif
