/* pipe.h: what worker/pipe.c exports. */
#ifndef BN_WORKER_PIPE_H
#define BN_WORKER_PIPE_H

#include "types.h"

#define BN_PIPE_SRC_ERROR -1
#define BN_PIPE_DST_ERROR -2
#define BN_PIPE_TOO_LARGE -3

/* Whether c is a socket of plain TCP, that splice(2), sendfile(2) and
 * MSG_MORE apply to (not TLS, not an HTTP/2 stream). */
static inline bool
bn_conn_plain(const bn_conn_t *c)
{
    return c->ssl == NULL && c->stream == NULL;
}

/* Records what an epoll event says of c's readiness (edge-triggered). */
void bn_conn_ready(bn_conn_t *c, uint32_t events);
/* Returns bytes read, 0 at EOF, BN_AGAIN or BN_ERROR (errno set). */
ssize_t bn_conn_recv(bn_conn_t *c, char *p, size_t n);
/* Returns bytes written, BN_AGAIN or BN_ERROR (errno set).  flags is 0, or
 * MSG_MORE when more bytes follow at once (plain TCP only). */
ssize_t bn_conn_sendv(bn_conn_t *c, struct iovec *iov, int n, int flags);
/* Sends what b holds; returns bytes sent (maybe 0), or BN_ERROR. */
ssize_t bn_conn_send_buf(bn_conn_t *c, bn_buf_t *b, int flags);
void bn_pipe_init(bn_pipe_t *p, bn_buf_t *buf, int in_mode, int64_t length, bool out_chunked);
/* Gives back the kernel pipe a spliced body held (the request is over). */
void bn_pipe_release(bn_pipe_t *p);
/*
 * Moves body bytes from src through p->buf to dst until one side would
 * block.  Returns 1 after progress, 0 when blocked (need_read/need_write say
 * on what), or BN_PIPE_SRC_ERROR, BN_PIPE_DST_ERROR or BN_PIPE_TOO_LARGE
 * with *why set.  dst NULL: the body is only read (and teed to tee_fd).
 */
int bn_pipe_run(bn_pipe_t *p, bn_conn_t *src, bn_conn_t *dst, const char **why);
/*
 * Reads and decodes body bytes from src into hold, which has room for max
 * plus one read of p->buf, until it has max, the body ends, or src would
 * block.  Returns as bn_pipe_run() does (need_read set when blocked).
 */
int bn_pipe_hold(bn_pipe_t *p, bn_conn_t *src, bn_buf_t *hold, size_t max, const char **why);
/* What held holds goes out first, from now on. */
void bn_pipe_send_held(bn_pipe_t *p, bn_buf_t *held);
/* Before a retry on another connection: the whole held body again. */
void bn_pipe_rewind_held(bn_pipe_t *p);

#endif
