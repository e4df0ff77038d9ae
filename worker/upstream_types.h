/*
 * upstream_types.h: how a request tries its upstream: the server picked,
 * what was tried, the queue; upstream.c's own, held in the request.
 */
#ifndef BN_UPSTREAM_TYPES_H
#define BN_UPSTREAM_TYPES_H

#include "../common/bouncer.h"
#include "../common/list.h"

typedef struct {
    unsigned tries;
    int peer;                  /* index + 1 of the server whose slot r holds; 0: none */
    uint32_t hash;             /* hash and ip_hash: the key's */
    bool trial;                /* this try is the trial of a server that was down */
    bool sticky_ok;            /* the sticky cookie chose the server: no new cookie */
    bool queued;               /* waiting for a server below max_conns */
    bn_list_t qlink;           /* on its upstream's queue (upstream.c) */
    int fail_status;           /* how the last try failed (502, 504), if no other works */
    bool peer_failure_counted; /* passive health counted this try */
    uint64_t tried_mask;       /* peers tried, by index modulo 64 */
    unsigned addrs_tried;      /* resolve = true: addresses of this try's server, by index */
    unsigned group;            /* 1 + a configured server's group: pick only its addresses */
} bn_upstream_try_t;

#endif
