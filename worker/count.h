/* count.h: what a worker adds to the shared metrics (count.c). */
#ifndef BN_COUNT_H
#define BN_COUNT_H

#include "types.h"

/* A client connection opened (delta 1) or closed (-1). */
void bn_count_client(const bn_client_t *c, int delta);
/* A TLS handshake done with a client. */
void bn_count_handshake(const bn_client_t *c, const char *protocol, bool resumed);
void bn_count_tunnel(int delta);
/* A client connection began speaking HTTP/2 (delta 1), or ended (-1). */
void bn_count_h2(const bn_client_t *c, int delta);
/* An HTTP/2 connection closed with GOAWAY ENHANCE_YOUR_CALM (a flood). */
void bn_count_h2_calm(const bn_client_t *c);
/* Value what (BN_MV_PEER_*) of upstream server p: +delta, or -1 a gauge. */
void bn_count_peer(const bn_conf_peer_t *p, unsigned what, int delta);
/* Upstream server p answered r's try. */
void bn_count_peer_answer(const bn_request_t *r, const bn_conf_peer_t *p);
/* r has ended (with its access log line). */
void bn_count_request(bn_request_t *r);

#endif
