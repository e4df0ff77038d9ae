/* tunnel.h: what worker/tunnel.c exports. */
#ifndef BN_WORKER_TUNNEL_H
#define BN_WORKER_TUNNEL_H

#include "types.h"

/* Turns r into a two-way tunnel (after 101) and runs it. */
void bn_tunnel_start(bn_request_t *r);
void bn_tunnel_run(bn_request_t *r);
/* The worker drains (reload: true; quit: false): every tunnel, and every
 * one that opens from now on, ends by its route's drain_timeout (reload) or
 * shutdown_timeout (quit), counted from now; called again, the sooner
 * deadline holds. */
void bn_tunnel_drain(bool reload);
/* The number of open tunnels. */
size_t bn_tunnel_count(void);
/* The worker exits now: each tunnel gets its close frames when they can go
 * at once, and its access log line. */
void bn_tunnel_end_all(void);

#endif
