/* proxy.h: what worker/proxy.c exports. */
#ifndef BN_WORKER_PROXY_H
#define BN_WORKER_PROXY_H

#include "types.h"

/* The phase handlers, each in the file of what it does. */
int bn_http_phase_prepare(bn_request_t *r);
int bn_http_phase_content(bn_request_t *r);

#endif
