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
/* Called on any event of the request's upstream connection. */
void bn_http_run(bn_request_t *r);
/* A response of bouncer's own: status, extra header lines (each with its
 * CRLF), Content-Type and body, or NULL for the status page. */
void bn_http_respond(bn_request_t *r, int status, const char *extra, const char *ctype,
                     const char *body);
/* shutdown_timeout passed: closes every client connection but tunnels. */
void bn_http_close_all_but_tunnels(void);
bool bn_http_have_clients(void);
/* The client_ops of http.c: a client's request failed upstream. */
void bn_http_upstream_failed(bn_request_t *r, int status, const char *why);
/* Ends r's tunnel or exchange: access log, both connections closed. */
void bn_http_finish_closing(bn_request_t *r);

#endif
