/* http.h: what worker/http.c exports. */
#ifndef BN_WORKER_HTTP_H
#define BN_WORKER_HTTP_H

#include "types.h"

bn_client_t *bn_http_client_alloc(void);
void bn_http_client_free(bn_client_t *c);
void bn_http_init_client(bn_client_t *c);
bool bn_http_run_handshakes(void);
void bn_http_client_event(bn_io_t *io, uint32_t events);
void bn_http_close_client(bn_client_t *c);
/* shutdown_timeout passed: closes every client connection but tunnels. */
void bn_http_close_all_but_tunnels(void);
bool bn_http_have_clients(void);

/*
 * A new request r of client c in pool, its head to be parsed with the
 * configured limits; BN_ERROR when memory runs out.
 */
int bn_http_request_init(bn_request_t *r, bn_client_t *c, bn_pool_t *pool);
/*
 * Once r->head is parsed (r->method, r->target set): Host, origin-form
 * target, the path normalised for routing.  BN_OK, or 400 with *why the
 * line to log.
 */
int bn_http_request_parsed(bn_request_t *r, const char **why);

#endif
