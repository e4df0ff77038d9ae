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

#endif
