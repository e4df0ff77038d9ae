/* route.h: what worker/route.c exports. */
#ifndef BN_WORKER_ROUTE_H
#define BN_WORKER_ROUTE_H

#include "types.h"

/* Host without port, lower case, in r's pool; NULL when it is not valid. */
char *bn_route_host(bn_request_t *r, const char *h, size_t len);
bn_conf_server_t *bn_route_server(bn_conf_listen_t *l, const char *host);
/* Normalises r->path for matching; BN_ERROR means 400. */
int bn_route_normalize(bn_request_t *r);
/* "http://host/path" (RFC 9112 3.2.2): sets r->host and r->target.
 * Returns BN_OK, BN_DECLINED (origin-form) or BN_ERROR. */
int bn_route_absolute_form(bn_request_t *r);

/* The phase handlers, each in the file of what it does. */
int bn_route_phase_server(bn_request_t *r);
int bn_route_phase_post_read(bn_request_t *r);
int bn_route_phase_redirect(bn_request_t *r);
int bn_route_phase_route(bn_request_t *r);

#endif
