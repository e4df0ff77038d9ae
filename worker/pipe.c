/*
 * pipe.c: moving bytes.  The readiness-aware recv and send of a connection,
 * and the pipe that carries a message body from one connection to another
 * through a bounded buffer: it decodes how the source frames the body and
 * frames it itself for the sink, so a backend or client always sees one
 * unambiguous message whatever the other side sent.  A full buffer stops
 * the reads (backpressure); nothing holds a whole body.
 */
#include "pipe.h"
#include "compress.h"
#include "tls.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

void
bn_conn_ready(bn_conn_t *c, uint32_t events)
{
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        c->readable = true;
        c->drained = false; /* bytes came after the last short read() */
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        c->rdhup = true;
    }
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
        c->writable = true;
    }
}

/* Returns bytes read, 0 at EOF, BN_AGAIN or BN_ERROR (errno set). */
ssize_t
bn_conn_recv(bn_conn_t *c, char *p, size_t n)
{
    ssize_t r;

    if (c->stream != NULL) {
        return c->stream->recv(c, p, n);
    }
    if (c->ssl != NULL) {
        /* Records read with the handshake's last flight may be waiting in
         * OpenSSL with no event to come for them. */
        r = c->readable || SSL_has_pending(c->ssl) ? bn_tls_recv(c, p, n) : BN_AGAIN;
        c->rdhup = c->rdhup || r == 0; /* the peer is done: remembered, see rdhup */
        return r;
    }
    if (!c->readable) {
        return BN_AGAIN;
    }
    do {
        r = recv(c->io.fd, p, n, 0);
    } while (r == -1 && errno == EINTR);
    if (r == 0) {
        c->rdhup = true; /* the peer is done: remembered, see rdhup */
    }
    if (r == -1) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->readable = false;
            return BN_AGAIN;
        }
        return BN_ERROR;
    }
    if (r > 0 && (size_t) r < n && !c->rdhup) {
        /* The socket is drained: skip the recv() that would say EAGAIN.
         * Edge-triggered epoll reports every later arrival anew; a FIN
         * that came with this data showed as EPOLLRDHUP (rdhup), and then
         * we do read on to see it. */
        c->readable = false;
    }
    return r;
}

/* Returns bytes written, BN_AGAIN or BN_ERROR (errno set).  flags: MSG_MORE
 * or 0; TLS, which writes whole records, does without. */
ssize_t
bn_conn_sendv(bn_conn_t *c, struct iovec *iov, int n, int flags)
{
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t) n };
    ssize_t r;

    if (!c->writable) {
        return BN_AGAIN;
    }
    if (c->stream != NULL) {
        return c->stream->sendv(c, iov, n);
    }
    if (c->ssl != NULL) {
        return bn_tls_sendv(c, iov, n);
    }
    do {
        r = sendmsg(c->io.fd, &m, MSG_NOSIGNAL | flags);
    } while (r == -1 && errno == EINTR);
    if (r >= 0) {
        c->unpushed = (flags & MSG_MORE) != 0;
    }
    if (r == -1) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->writable = false;
            return BN_AGAIN;
        }
        return BN_ERROR;
    }
    return r;
}

/* Sends what b holds; returns bytes sent (maybe 0), or BN_ERROR. */
ssize_t
bn_conn_send_buf(bn_conn_t *c, bn_buf_t *b, int flags)
{
    struct iovec iov = { .iov_base = b->pos, .iov_len = bn_buf_len(b) };
    ssize_t n;

    if (iov.iov_len == 0) {
        return 0;
    }
    n = bn_conn_sendv(c, &iov, 1, flags);
    if (n == BN_AGAIN) {
        return 0;
    }
    if (n < 0) {
        return BN_ERROR;
    }
    b->pos += n;
    if (b->pos == b->last) {
        b->pos = b->last = b->start;
    } else {
        c->writable = false;
    }
    return n;
}

/*
 * Kernel pipes for splice(2), kept for the next body: making one costs a
 * pipe2() and two descriptors.  A pipe goes back only empty; one that still
 * holds bytes (the request ended mid-body) is closed.
 */
#define SPARE_KPIPES 32
/* Below this much body left, recv+send into the buffer costs no more. */
#define SPLICE_MIN (16 * 1024)
#define KPIPE_SIZE (256 * 1024)

static int spare_kpipes[SPARE_KPIPES][2];
static unsigned nspare_kpipes;

void
bn_pipe_release(bn_pipe_t *p)
{
    if (!p->splicing) {
        return;
    }
    p->splicing = false;
    if (p->kpipe_bytes == 0 && nspare_kpipes < SPARE_KPIPES) {
        memcpy(spare_kpipes[nspare_kpipes++], p->kfd, sizeof(p->kfd));
        return;
    }
    close(p->kfd[0]);
    close(p->kfd[1]);
}

static bool
start_splicing(bn_pipe_t *p, const bn_conn_t *src, const bn_conn_t *dst)
{
    if (dst == NULL || !p->may_splice || !bn_conn_plain(src) || !bn_conn_plain(dst) || p->out_chunked
        || p->tee_fd != -1 || p->max_body != 0 || p->z != NULL
        || (p->in_mode != BN_BODY_CLOSE
            && (p->in_mode != BN_BODY_LENGTH || p->left < SPLICE_MIN))) {
        return false;
    }
    if (nspare_kpipes > 0) {
        memcpy(p->kfd, spare_kpipes[--nspare_kpipes], sizeof(p->kfd));
    } else if (pipe2(p->kfd, O_NONBLOCK | O_CLOEXEC) == -1) {
        p->may_splice = false; /* out of descriptors: the buffer will do */
        return false;
    } else {
        /* Fewer, larger moves; pages are held only while bytes wait in the
         * pipe.  If the system limit refuses, 64 KiB still works. */
        (void) fcntl(p->kfd[1], F_SETPIPE_SZ, KPIPE_SIZE);
    }
    p->splicing = true;
    p->kpipe_bytes = 0;
    return true;
}

/* bn_pipe_run() for a spliced body: what the kernel pipe holds goes out
 * first, then more comes in. */
static int
splice_run(bn_pipe_t *p, bn_conn_t *src, bn_conn_t *dst, const char **why)
{
    int progress = 0;
    ssize_t n;

    for (;;) {
        if (p->kpipe_bytes > 0) {
            if (!dst->writable) {
                p->need_write = true;
                return progress;
            }
            bool more = p->in_done && p->close_after;
            n = splice(p->kfd[0], NULL, dst->io.fd, NULL, p->kpipe_bytes,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK | (more ? SPLICE_F_MORE : 0));
            if (n == -1) {
                if (errno == EAGAIN) {
                    dst->writable = false;
                    p->need_write = true;
                    return progress;
                }
                if (errno == EINTR) {
                    continue;
                }
                *why = "splice() to the client failed";
                return BN_PIPE_DST_ERROR;
            }
            p->kpipe_bytes -= (size_t) n;
            p->bytes_out += (uint64_t) n;
            dst->unpushed = more;
            progress = 1;
            continue;
        }
        if (p->in_done) {
            p->done = true;
            return progress;
        }
        if (!src->readable) {
            p->need_read = true;
            return progress;
        }
        n = splice(src->io.fd, NULL, p->kfd[1], NULL,
                   p->in_mode == BN_BODY_LENGTH ? (size_t) BN_MIN(p->left, 1 << 20) : 1 << 20,
                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n == -1) {
            if (errno == EAGAIN) {
                /* The kernel pipe is empty, so the socket is. */
                src->readable = false;
                p->need_read = true;
                return progress;
            }
            if (errno == EINTR) {
                continue;
            }
            *why = "splice() from the upstream failed";
            return BN_PIPE_SRC_ERROR;
        }
        if (n == 0) {
            if (p->in_mode == BN_BODY_CLOSE) {
                p->in_done = true;
                continue;
            }
            *why = "connection closed prematurely";
            return BN_PIPE_SRC_ERROR;
        }
        p->kpipe_bytes += (size_t) n;
        p->body_in += (uint64_t) n;
        if (p->in_mode == BN_BODY_LENGTH) {
            p->left -= n;
            p->in_done = p->left == 0;
        }
        progress = 1;
    }
}

/* p is zeroed memory, or a pipe initialised before. */
void
bn_pipe_init(bn_pipe_t *p, bn_buf_t *buf, int in_mode, int64_t length, bool out_chunked)
{
    bn_pipe_release(p);
    memset(p, 0, sizeof(*p));
    p->tee_fd = -1;
    p->buf = buf;
    p->in_mode = in_mode;
    p->left = length;
    p->out_chunked = out_chunked;
    if (in_mode == BN_BODY_NONE || (in_mode == BN_BODY_LENGTH && length == 0)) {
        p->in_done = true;
        p->done = true; /* no body, so no terminator either */
    }
}

/* The next frame to write: len bytes at data (NULL, 0: only the prefix). */
static void
pipe_frame(bn_pipe_t *p, const char *data, size_t len)
{
    p->frame = true;
    p->data = data;
    p->data_len = len;
    p->sent = 0;
    if (p->out_chunked) {
        p->hdr_len = (size_t) snprintf(p->hdr, sizeof(p->hdr), "%zx\r\n", len);
        p->tail = true;
    } else {
        p->hdr_len = 0;
        p->tail = false;
    }
}

/*
 * Decoded body bytes, at buf's pos: copied where they are held or teed,
 * then framed as they are, or handed to the encoder, whose output makes
 * the frames (z_run()).
 */
static void
pipe_data(bn_pipe_t *p, const char *data, size_t len)
{
    if (p->hold != NULL && len > 0) {
        /* bn_pipe_hold() leaves room for one frame beyond hold_max. */
        BN_ASSERT(len <= bn_buf_room(p->hold));
        memcpy(p->hold->last, data, len);
        p->hold->last += len;
    }
    if (p->tee_fd != -1 && len > 0 && !p->tee_failed) {
        /* The cache's copy.  A write to the page cache; a failing disk
         * costs the stored copy, never the client's response. */
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(p->tee_fd, data + off, len - off);
            if (w <= 0 && errno != EINTR) {
                p->tee_failed = true;
                p->tee_errno = w == -1 ? errno : ENOSPC; /* 0: nothing fit */
                break;
            }
            off += w > 0 ? (size_t) w : 0;
        }
    }
    if (p->z != NULL) {
        p->z_in = data;
        p->z_in_len = p->z_take = len;
        return;
    }
    pipe_frame(p, data, len);
}

/*
 * One step of the encoder over what it has not taken (worker/compress.h
 * says what op does).  Returns 1 when its output became the frame to
 * write, 0 when it has nothing to give for op now, or BN_PIPE_DST_ERROR.
 * Input it took whole leaves buf, as a frame sent would.
 */
static int
z_run(bn_pipe_t *p, int op, const char **why)
{
    const char *out;
    size_t outlen;

    if (bn_compress_step(p->z, &p->z_in, &p->z_in_len, op, &out, &outlen) != BN_OK) {
        *why = "compressing the response failed";
        return BN_PIPE_DST_ERROR;
    }
    if (p->z_take > 0 && p->z_in_len == 0) {
        p->buf->pos += p->z_take;
        p->z_take = 0;
    }
    if (outlen == 0) {
        return 0;
    }
    pipe_frame(p, out, outlen);
    p->frame_z = true;
    return 1;
}

/*
 * Sends what is left of the prefix (the response head, so that head and
 * first body bytes leave in one writev) and of the frame.  Returns BN_OK
 * when both are out, BN_AGAIN, or BN_ERROR.
 */
static int
frame_send(bn_pipe_t *p, bn_conn_t *dst)
{
    struct iovec iov[4];
    size_t skip = p->sent, total = p->hdr_len + p->data_len + (p->tail ? 2 : 0);
    size_t plen = p->prefix != NULL ? bn_buf_len(p->prefix) : 0;
    const char *parts[3] = { p->hdr, p->data, "\r\n" };
    size_t lens[3] = { p->hdr_len, p->data_len, p->tail ? 2 : 0 };
    int n = 0;
    bool last;
    ssize_t w;

    if (plen > 0) {
        iov[n].iov_base = p->prefix->pos;
        iov[n].iov_len = plen;
        n++;
    }
    for (int i = 0; i < 3; i++) {
        if (skip >= lens[i]) {
            skip -= lens[i];
            continue;
        }
        iov[n].iov_base = (char *) parts[i] + skip;
        iov[n].iov_len = lens[i] - skip;
        skip = 0;
        n++;
    }
    if (n == 0) {
        return BN_OK;
    }
    if (dst == NULL) {
        /* No sink (a background cache refresh): the tee had the frame. */
        p->sent = total;
        return BN_OK;
    }
    last = p->in_done && (!p->out_chunked || p->terminator);
    w = bn_conn_sendv(dst, iov, n, last && p->close_after ? MSG_MORE : 0);
    if (w == BN_AGAIN) {
        return BN_AGAIN;
    }
    if (w < 0) {
        return BN_ERROR;
    }
    p->bytes_out += (uint64_t) w;
    if (plen > 0) {
        size_t k = BN_MIN((size_t) w, plen);
        p->prefix->pos += k;
        if (p->prefix->pos == p->prefix->last) {
            p->prefix->pos = p->prefix->last = p->prefix->start;
        }
        w -= (ssize_t) k;
    }
    p->sent += (size_t) w;
    if (p->sent < total || (p->prefix != NULL && bn_buf_len(p->prefix) > 0)) {
        dst->writable = false;
        return BN_AGAIN;
    }
    return BN_OK;
}

/*
 * Moves body bytes from src through p->buf to dst until one side would
 * block.  Returns 1 after progress, 0 when blocked (need_read/need_write say
 * on what), BN_PIPE_SRC_ERROR or BN_PIPE_DST_ERROR with *why set.
 */
int
bn_pipe_run(bn_pipe_t *p, bn_conn_t *src, bn_conn_t *dst, const char **why)
{
    int progress = 0;
    bn_buf_t *b = p->buf;
    ssize_t n;

    p->need_read = p->need_write = false;
    if (p->splicing) {
        return splice_run(p, src, dst, why);
    }
    while (!p->done) {
        if (p->hold != NULL && !p->frame
            && (p->in_done || bn_buf_len(p->hold) >= p->hold_max)) {
            return progress; /* held: what comes next waits for the WAF */
        }
        if (p->frame) {
            int rc = frame_send(p, dst);
            if (rc == BN_ERROR) {
                *why = "send() failed";
                return BN_PIPE_DST_ERROR;
            }
            if (rc == BN_AGAIN) {
                p->need_write = true;
                return progress;
            }
            if (p->frame_z) {
                p->frame_z = false; /* z's own buffer: its input left buf when taken */
            } else if (p->frame_held) {
                p->held->pos += p->data_len;
                p->frame_held = false;
            } else {
                b->pos += p->data_len;
            }
            if (p->terminator) {
                p->done = true;
            }
            p->frame = false;
            progress = 1;
            continue;
        }
        if (p->held != NULL && bn_buf_len(p->held) > 0) {
            pipe_frame(p, p->held->pos, bn_buf_len(p->held));
            p->frame_held = true;
            continue;
        }
        if (p->z != NULL) {
            /* What z holds goes out before anything more is read; at the
             * end of the body, its stream ends too. */
            int rc = z_run(p, p->in_done ? BN_COMPRESS_FINISH : BN_COMPRESS_RUN, why);
            if (rc < 0) {
                return rc;
            }
            if (rc > 0) {
                continue;
            }
        }
        if (p->in_done) {
            if (p->out_chunked && !p->terminator) {
                p->terminator = true;
                p->frame = true;
                p->data = NULL;
                p->data_len = 0;
                p->hdr_len = 5;
                memcpy(p->hdr, "0\r\n\r\n", 5);
                p->tail = false;
                p->sent = 0;
                continue;
            }
            if (p->prefix != NULL && bn_buf_len(p->prefix) > 0) {
                pipe_frame(p, NULL, 0);
                p->hdr_len = 0;
                p->tail = false;
                continue;
            }
            p->done = true;
            break;
        }
        if (bn_buf_len(b) > 0) {
            size_t avail = bn_buf_len(b), take, consumed;
            const char *data;
            int rc;

            switch (p->in_mode) {
            case BN_BODY_LENGTH:
                take = (size_t) BN_MIN((int64_t) avail, p->left);
                p->left -= (int64_t) take;
                if (p->left == 0) {
                    p->in_done = true;
                }
                pipe_data(p, b->pos, take);
                break;
            case BN_BODY_CHUNKED:
                rc = bn_http_parse_chunked(&p->chunk, b->pos, avail, &consumed, &data, &take);
                if (rc == BN_ERROR) {
                    *why = "invalid chunked body";
                    return BN_PIPE_SRC_ERROR;
                }
                b->pos += consumed - take; /* the framing; the data stays until sent */
                if (rc == BN_DONE) {
                    p->in_done = true;
                }
                if (take > 0) {
                    p->body_in += take;
                    if (p->max_body != 0 && p->body_in > p->max_body) {
                        *why = "body too large";
                        return BN_PIPE_TOO_LARGE;
                    }
                    pipe_data(p, data, take);
                }
                break;
            default:
                pipe_data(p, b->pos, avail);
                break;
            }
            continue;
        }
        if (p->prefix != NULL && bn_buf_len(p->prefix) > 0) {
            /* No body bytes yet: the head must not wait for them. */
            pipe_frame(p, NULL, 0);
            p->hdr_len = 0;
            p->tail = false;
            continue;
        }
        if (b->pos == b->last) {
            b->pos = b->last = b->start;
        }
        if (start_splicing(p, src, dst)) {
            int rc = splice_run(p, src, dst, why);
            return rc < 0 ? rc : (rc | progress);
        }
        n = bn_conn_recv(src, b->last, bn_buf_room(b));
        if (n == BN_AGAIN && p->z != NULL && bn_compress_dirty(p->z)) {
            /* The source is slow: what it sent so far goes out now, as a
             * sync flush the client can decode, rather than waiting in the
             * encoder for more. */
            int rc = z_run(p, BN_COMPRESS_FLUSH, why);
            if (rc < 0) {
                return rc;
            }
            if (rc > 0) {
                continue;
            }
        }
        if (n == BN_AGAIN) {
            p->need_read = true;
            return progress;
        }
        if (n == BN_ERROR) {
            *why = "recv() failed";
            return BN_PIPE_SRC_ERROR;
        }
        if (n == 0) {
            if (p->in_mode == BN_BODY_CLOSE) {
                p->in_done = true;
                continue;
            }
            *why = "connection closed prematurely";
            return BN_PIPE_SRC_ERROR;
        }
        b->last += n;
        progress = 1;
    }
    return progress;
}

int
bn_pipe_hold(bn_pipe_t *p, bn_conn_t *src, bn_buf_t *hold, size_t max, const char **why)
{
    int rc;

    p->hold = hold;
    p->hold_max = max;
    rc = bn_pipe_run(p, src, NULL, why);
    p->hold = NULL;
    return rc;
}

void
bn_pipe_send_held(bn_pipe_t *p, bn_buf_t *held)
{
    p->held = held;
    p->held_whole = p->in_done;
}

void
bn_pipe_rewind_held(bn_pipe_t *p)
{
    BN_ASSERT(p->held != NULL && p->held_whole);
    p->held->pos = p->held->start;
    p->frame = p->frame_held = p->terminator = p->done = false;
    p->need_read = p->need_write = false;
    p->sent = 0;
    p->bytes_out = 0;
}
