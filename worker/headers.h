/* headers.h: what worker/headers.c exports. */
#ifndef BN_WORKER_HEADERS_H
#define BN_WORKER_HEADERS_H

#include "types.h"

/* RFC 9110 15: the reason phrase; "" for codes without one here. */
const char *bn_http_status_reason(int status);
/* The route's set/add header lines for r, variables expanded (r's pool). */
char *bn_http_header_lines(bn_request_t *r, const bn_conf_headers_t *h);
/* Whether h's set or remove rules name the header name[0..len). */
bool bn_http_header_in_set(const char *name, size_t len, const bn_conf_headers_t *h);
/* Writes r->out: the request head for the upstream.  BN_OK or BN_ERROR. */
int bn_http_build_upstream_head(bn_request_t *r);
/* Copies the upstream's 1xx response to r->rout for the client. */
void bn_http_interim_response(bn_request_t *r);
/* How an upstream's response head h frames its body (BN_BODY_*); no_body:
 * it has none whatever it says (HEAD, 204, 304). */
int bn_http_body_mode(const bn_http_head_t *h, bool no_body);
/* Writes the client's response head to r->rout and sets up the body pipe. */
int bn_http_build_response_head(bn_request_t *r);
/* The upstream's header lines to keep with a cached body, into out. */
int bn_http_cacheable_lines(bn_request_t *r, bn_buf_t *out);
/* Writes to r->rout the head of a response served from the cache; ranges:
 * NULL, or Accept-Ranges and Content-Range lines in place of the stored. */
int bn_http_build_cached_head(bn_request_t *r, int status, const char *lines, size_t len,
                              int64_t age, uint64_t length, bool body, const char *ranges);
/* Writes the 101 head for a WebSocket the upstream accepted. */
int bn_http_build_switch_head(bn_request_t *r);
/* Whether the upstream's 101 completes the client's WebSocket handshake. */
bool bn_http_websocket_accepted(bn_request_t *r);

#endif
