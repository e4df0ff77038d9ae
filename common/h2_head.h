/*
 * h2_head.h: an HTTP/2 request's fields, checked one by one as HPACK
 * gives them (RFC 9113 8.2 and 8.3), made into the HTTP/1.1 head that the
 * rest of bouncer reads: routing, auth, the WAF, the cache and the
 * upstream request all see one request syntax, whatever the client spoke.
 * Only fields that passed are written, so nothing the client framed in
 * HTTP/2 can reframe the HTTP/1.1 head (no CR, LF or NUL, no
 * Transfer-Encoding of its own, no second Host).
 */
#ifndef BN_H2_HEAD_H
#define BN_H2_HEAD_H

#include "bouncer.h"
#include "buf.h"

typedef struct {
    char *buf; /* the pseudo-headers' values, then "name: value\r\n" lines */
    size_t len, cap;
    char *cookie; /* the cookie pieces, joined with "; " (RFC 9113 8.2.3) */
    size_t cookie_len, cookie_cap;
    uint32_t method, method_len; /* offsets into buf */
    uint32_t path, path_len;
    uint32_t authority, authority_len;
    uint32_t lines;   /* where the lines begin */
    size_t size;      /* RFC 9113's count: name, value and 32 per field */
    size_t limit;     /* http2_max_header_list_size */
    unsigned nfields; /* lines written (cookie aside) */
    bool scheme, regular, has_host, has_length;
    bool cut;          /* over the limit: the rest was dropped */
    const char *error; /* why the request is malformed */
} bn_h2_head_t;

void bn_h2_head_init(bn_h2_head_t *h, size_t limit);
/*
 * One field as HPACK decoded it.  BN_OK (kept, or dropped past the limit,
 * which sets cut), or BN_ERROR: the request is malformed (h->error says
 * why) and its stream must be reset.
 */
int bn_h2_head_field(bn_h2_head_t *h, const uint8_t *name, size_t nlen, const uint8_t *value,
                     size_t vlen);
/*
 * The HTTP/1.1 head, into out: the request line, Host from :authority,
 * the lines, Cookie, and "Transfer-Encoding: chunked" when a body of no
 * stated length follows (body: the HEADERS frame did not end the stream).
 * What does not fit in out is left off, and so is the head's end when
 * cut: the HTTP/1.1 parser then answers 431.  BN_ERROR: malformed.
 */
int bn_h2_head_write(bn_h2_head_t *h, bool body, bn_buf_t *out);
void bn_h2_head_free(bn_h2_head_t *h);

#endif
