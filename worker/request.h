/* request.h: what worker/request.c exports. */
#ifndef BN_WORKER_REQUEST_H
#define BN_WORKER_REQUEST_H

#include "types.h"

/* The client address when the peer is a trusted proxy (real_ip). */
const char *bn_http_real_ip(bn_request_t *r);
/* The value of r's request header name (the first line), in r's pool; NULL
 * when absent. */
/*
 * The value of header name (lower case) in head h over buf, in pool: RFC
 * 9110 5.3, a field on several lines is one field, the lines' values
 * joined by ", ".  NULL when absent (or out of memory).  Every rule about a
 * header reads it this way, so a second line can never slip past one that
 * read only the first.
 */
char *bn_http_field(bn_pool_t *pool, const bn_http_head_t *h, const char *buf, const char *name);
/* bn_http_field() of the request head. */
char *bn_http_header(bn_request_t *r, const char *name);
/* The Strict-Transport-Security value for r's responses, or NULL. */
const char *bn_http_hsts(const bn_request_t *r);
/* "HTTP/1.0", "HTTP/1.1" or "HTTP/2.0": what the client spoke, for logs. */
const char *bn_request_protocol(const bn_request_t *r);

/*
 * The route's body limit (its max_body_size, else limits.max_body_size):
 * 413, logged, when the Content-Length is over it; else BN_OK, with the
 * request pipe set to count a chunked body against it.  PREPARE applies
 * it, and the WAF before it reads a body.
 */
int bn_request_body_limit(bn_request_t *r);

/* The client's header name is not passed upstream (an access handler's
 * choice: a stripped credential, a header it sets itself). */
int bn_request_drop_header(bn_request_t *r, const char *name, size_t len);
/* Adds "name: value" to the upstream request.  BN_DECLINED, nothing added,
 * when value holds a control character (it would make a header line of
 * its own: a claim or an answer from outside must never do that). */
int bn_request_add_header(bn_request_t *r, const char *name, size_t nlen, const char *value,
                          size_t vlen);

#endif
