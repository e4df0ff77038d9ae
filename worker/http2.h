/* http2.h: what worker/http2.c exports. */
#ifndef BN_WORKER_HTTP2_H
#define BN_WORKER_HTTP2_H

#include "types.h"

typedef struct bn_h2_conn_s bn_h2_conn_t;
typedef struct bn_h2_stream_s bn_h2_stream_t;

/* The HTTP/2 connection preface (RFC 9113 3.4) an h2c client begins with. */
#define BN_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define BN_H2_PREFACE_LEN 24

/*
 * What http2.c asks of the owner of client connections (http.c), which
 * calls down into it: a stand-in client for a stream whose head is whole
 * (its in to be filled with the head, NULL when memory runs out), the
 * start of its request, the end of one whose stream went (reset, or the
 * connection closed), a client closed, a client's head buffer given back.
 * Events reach a stand-in through its own io.handler.
 */
typedef struct {
    bn_client_t *(*stream_client)(bn_client_t *parent, bn_conn_stream_t *s, uint32_t id);
    void (*stream_start)(bn_client_t *sc);
    void (*stream_aborted)(bn_client_t *sc, const char *why);
    void (*close)(bn_client_t *c);
    void (*release_in)(bn_client_t *c);
} bn_h2_owner_t;

/*
 * c speaks HTTP/2 from now on: ALPN chose h2, or c->in begins with the
 * preface (its bytes are the session's first input).  c is closed when
 * memory runs out.
 */
void bn_h2_start(bn_client_t *c, const bn_h2_owner_t *owner);
/* An event on c's socket (state BN_CLIENT_H2). */
void bn_h2_event(bn_client_t *c);
/* c's timer: idle, or its writes stuck. */
void bn_h2_timeout(bn_client_t *c);
/* From bn_http_close_client(): every stream's request ends, the session goes. */
void bn_h2_close(bn_client_t *c);
/* Graceful quit: GOAWAY on every connection; open streams finish. */
void bn_h2_quit(void);

/*
 * A stand-in's request is over: complete, its response ends the stream
 * once sent (a request body still coming is read and dropped); else the
 * stream is reset.  The stream no longer knows sc.
 */
void bn_h2_stream_detach(bn_client_t *sc, bool complete);

#endif
