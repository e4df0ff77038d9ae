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

/*
 * HTTP/2 (http2.c): a stand-in client for stream s of connection parent,
 * its head to be written into its in; NULL when memory runs out.  Once the
 * head is there, bn_http_stream_start() runs its request.
 */
struct bn_h2_stream_s;
bn_client_t *bn_http_stream_client(bn_client_t *parent, struct bn_h2_stream_s *s, uint32_t id);
void bn_http_stream_start(bn_client_t *c);
/* The stream went under the request (reset, or its connection closed):
 * logged with why, counted, and c closed. */
void bn_http_stream_aborted(bn_client_t *c, const char *why);
/* c's head buffer goes back (the connection is HTTP/2 now). */
void bn_http_client_release_in(bn_client_t *c);

#endif
