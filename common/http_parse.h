/*
 * http_parse.h: resumable HTTP/1.x message head and chunked-body parsers
 * (RFC 9112).  They never copy: positions are offsets into the caller's
 * buffer, which may therefore grow or move between calls as long as the
 * bytes already seen stay where they are relative to its start.
 *
 * The request parser is strict wherever leniency could let a client and a
 * backend disagree about where a message ends (request smuggling).
 */
#ifndef BN_HTTP_PARSE_H
#define BN_HTTP_PARSE_H

#include "bouncer.h"

typedef struct {
    uint32_t name;
    uint32_t name_len;
    uint32_t value;
    uint32_t value_len;
} bn_http_header_t;

enum { BN_HTTP_PARSE_REQUEST = 0, BN_HTTP_PARSE_RESPONSE };

typedef struct {
    /* Set by the caller before the first call. */
    int kind;
    size_t max_head; /* request: 431 above it; response: error */
    size_t max_uri;  /* request: 414 above it */
    unsigned max_headers;
    bn_http_header_t *headers; /* room for max_headers */

    /* Parser state. */
    int state;
    size_t pos;
    uint32_t mark, mark2;
    uint32_t value_end;

    /* Results. */
    uint32_t method, method_len;
    uint32_t target, target_len;
    int version; /* 10 or 11 */
    int status;  /* response status code */
    unsigned nheaders;
    size_t head_len;    /* bytes of the whole head, final CRLF included */
    int error;          /* the status to answer with when parsing failed */
    const char *reason; /* why, for the info log */

    int64_t content_length; /* -1: none */
    bool chunked;
    bool conn_close;
    bool conn_keepalive;
    bool conn_upgrade;
    bool conn_other; /* Connection names headers beyond those three */
    int host;        /* header index of Host, -1 when absent */
    int upgrade;     /* header index of Upgrade, -1 when absent */
    bool expect_continue;
} bn_http_head_t;

void bn_http_head_init(bn_http_head_t *h, int kind);

/*
 * Parses buf[0..len), resuming where the last call stopped.  Returns BN_OK
 * when the head is complete (h->head_len is set), BN_AGAIN when more bytes
 * are needed, or BN_ERROR with h->error set to the status to answer (400,
 * 414, 431, 501, 505; for responses any error means 502).
 */
int bn_http_parse_head(bn_http_head_t *h, const char *buf, size_t len);

/* The position of the header named name (case-insensitive), or -1. */
int bn_http_find_header(const bn_http_head_t *h, const char *buf, const char *name);

typedef struct {
    int state;
    uint64_t size;    /* bytes left in the current chunk */
    unsigned ext_len; /* chunk extension bytes, bounded */
    unsigned trailer_len;
} bn_http_chunked_t;

/*
 * Decodes a chunked body from p[0..len).  Sets *consumed to the bytes used
 * and, when it reached chunk data, *data and *dlen to a run of it (inside p,
 * counted in *consumed).  Returns BN_OK after progress, BN_AGAIN when the
 * bytes end inside framing (all of them consumed), BN_DONE when the last
 * chunk and the trailers are done, or BN_ERROR for a malformed body.
 */
int bn_http_parse_chunked(bn_http_chunked_t *c, const char *p, size_t len, size_t *consumed,
                          const char **data, size_t *dlen);

/*
 * Checks an authority as Host carries it (RFC 9110 7.2): uri-host [ ":"
 * port ], where uri-host is a name of letters, digits, '-', '.', '_' and
 * '~' (RFC 3986 unreserved; sub-delims and %-escapes, which no DNS name
 * has, are refused), an IPv4 address (a name of digits and dots), or an
 * IPv6 literal in brackets; port is at most five digits, at most 65535.  An empty value
 * is valid (RFC 9110 7.2: a target without authority).  Returns BN_OK and
 * the length of uri-host in *host_len, or BN_ERROR.
 */
int bn_http_parse_host(const char *s, size_t len, size_t *host_len);

/* RFC 9110 9.2.1: a method that asks for nothing to change (GET, HEAD,
 * OPTIONS, TRACE); any other, unknown ones too, may change the resource. */
bool bn_http_method_safe(const char *method);

/* RFC 9110 9.2.2: a method whose request may be sent twice. */
bool bn_http_method_idempotent(const char *method);

/* RFC 9110 5.6.2 token characters. */
extern const uint8_t bn_http_token_char[256];

#endif
