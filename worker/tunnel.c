/*
 * tunnel.c: after a 101 Switching Protocols, the client and upstream
 * connections carry bytes both ways, untouched, until both sides are done.
 *
 * Each direction has a buffer (client to upstream: the client's input
 * buffer; upstream to client: the request's response buffer).  A side that
 * closes gets its FIN passed on once every byte it sent has been delivered,
 * so a close handshake in progress completes.  The upstream read_timeout,
 * meant for waiting on an answer, does not apply to a WebSocket that is
 * merely idle: a tunnel has its own idle_timeout.
 *
 * A tunnel outlives a reload: the old worker keeps it until it ends, goes
 * idle, or its route's drain_timeout (counted from the reload) passes; a
 * quit ends it by shutdown_timeout.  When bouncer ends a tunnel itself it
 * says so to both sides, with a close frame "1001 going away" (RFC 6455
 * 7.4.1) each way.  Such a frame may only go between two frames, so each
 * direction follows the frame lengths of what it forwards (RFC 6455 5.2).
 */
#include "tunnel.h"
#include "count.h"
#include "event.h"
#include "pipe.h"
#include "tls.h"
#include "../common/clock.h"
#include "../common/heritage.h"

#include <openssl/rand.h>
#include <sys/socket.h>

#define BN_TUNNEL_MAGIC 0x746e6e6cU
#define DROP_PER_RUN (256 * 1024)

/* Where a byte stream is in its frames (RFC 6455 5.2). */
typedef struct {
    unsigned char hdr[14]; /* the header of the frame that begins */
    unsigned have;         /* its bytes seen; 0: between frames or in a payload */
    unsigned need;         /* its length, known from its second byte */
    uint64_t left;         /* payload bytes still to come */
    bool close_seen;       /* a close frame went this way */
} frames_t;

/* One direction of a tunnel. */
typedef struct {
    bn_conn_t *src, *dst;
    bn_buf_t *buf;
    frames_t frames; /* of what was sent to dst */
    bool to_client;
    bool eof;     /* src ended */
    bool shut;    /* dst's writing side was shut */
    bool closing; /* bouncer's close frame is in buf: what src sends now is dropped */
} dir_t;

typedef struct bn_tunnel_s {
    unsigned magic;
    bn_request_t *r;
    dir_t dir[2];     /* client to upstream, upstream to client */
    bn_timer_t timer; /* the drain deadline, then the limit on closing */
    bool going_away;  /* bouncer ends the tunnel */
    bn_list_t link; /* on the worker's list of open tunnels */
} bn_tunnel_t;

static bn_list_t tunnels = BN_LIST_INIT(tunnels);
static size_t ntunnels;
/* A reload replaced this worker at reload_msec; a quit ends every tunnel
 * at quit_deadline (0: no quit). */
static bool replaced;
static bn_msec_t reload_msec, quit_deadline;

/*
 * Follows frames over n bytes at p; with stop, only up to the first frame
 * boundary.  Returns the bytes walked.
 */
static size_t
frames_walk(frames_t *f, const unsigned char *p, size_t n, bool stop)
{
    size_t k = 0;

    while (k < n) {
        if (stop && f->have == 0 && f->left == 0) {
            break;
        }
        if (f->left > 0) {
            uint64_t s = BN_MIN(f->left, (uint64_t) (n - k));
            f->left -= s;
            k += (size_t) s;
            continue;
        }
        f->hdr[f->have++] = p[k++];
        if (f->have == 2) {
            unsigned len7 = f->hdr[1] & 0x7f;
            f->need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (f->hdr[1] & 0x80 ? 4 : 0);
        }
        if (f->have >= 2 && f->have == f->need) {
            uint64_t len = f->hdr[1] & 0x7f;
            if (len >= 126) {
                unsigned ext = len == 126 ? 2 : 8;
                len = 0;
                for (unsigned i = 0; i < ext; i++) {
                    len = len << 8 | f->hdr[2 + i];
                }
            }
            f->left = len;
            f->have = 0;
            f->close_seen = f->close_seen || (f->hdr[0] & 0x0f) == 8;
        }
    }
    return k;
}

static void go_away(bn_tunnel_t *t);

static void
tunnel_cleanup(void *data)
{
    bn_tunnel_t *t = data;

    BN_CHECK_OBJ(t, BN_TUNNEL_MAGIC);
    bn_timer_del(&t->timer);
    bn_list_remove(&t->link);
    ntunnels--;
    bn_count_tunnel(-1);
    t->magic = 0;
    t->r->tunnel = NULL;
}

static void
tunnel_timeout(bn_timer_t *tm)
{
    bn_request_t *r = tm->data;
    bn_tunnel_t *t = r->tunnel;

    if (t->going_away) {
        return; /* t->timer ends it */
    }
    bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                 "websocket tunnel idle for %" PRIu64 "ms; closing",
                 r->route->websocket_idle_timeout);
    go_away(t);
}

static void
closing_timeout(bn_timer_t *tm)
{
    bn_tunnel_t *t = tm->data;

    bn_log_error(BN_LOG_INFO, &t->r->client->log, 0,
                 "websocket tunnel not closed within %dms of its close frames; cutting it",
                 BN_WS_CLOSE_MSEC);
    t->r->ops->done(t->r);
}

/* From now on: close frames at the next frame boundaries, then the close. */
static void
go_away(bn_tunnel_t *t)
{
    t->going_away = true;
    t->timer.handler = closing_timeout;
    bn_timer_set(&t->timer, BN_WS_CLOSE_MSEC);
    bn_tunnel_run(t->r);
}

static void
drain_timeout(bn_timer_t *tm)
{
    bn_tunnel_t *t = tm->data;

    bn_log_error(BN_LOG_INFO, &t->r->client->log, 0, "websocket tunnel open past %s; closing",
                 quit_deadline != 0 && quit_deadline <= bn_current_msec
                     ? "shutdown_timeout"
                     : "drain_timeout after a reload");
    go_away(t);
}

/* Arms t's drain deadline, the sooner of drain_timeout after the reload and
 * the quit's. */
static void
arm_drain(bn_tunnel_t *t)
{
    bn_msec_t at = 0;

    if (t->going_away) {
        return;
    }
    if (replaced) {
        at = reload_msec + t->r->route->websocket_drain_timeout;
    }
    if (quit_deadline != 0 && (at == 0 || quit_deadline < at)) {
        at = quit_deadline;
    }
    if (at != 0) {
        t->timer.handler = drain_timeout;
        bn_timer_set(&t->timer, at > bn_current_msec ? at - bn_current_msec : 0);
    }
}

void
bn_tunnel_drain(bool reload)
{
    if (reload && !replaced) {
        replaced = true;
        reload_msec = bn_current_msec;
    }
    if (!reload && quit_deadline == 0) {
        quit_deadline = bn_current_msec + bn_heritage.conf->shutdown_timeout;
    }
    bn_list_t *it, *next;

    bn_list_foreach (&tunnels, it, next) {
        arm_drain(bn_list_data(it, bn_tunnel_t, link));
    }
}

size_t
bn_tunnel_count(void)
{
    return ntunnels;
}

void
bn_tunnel_start(bn_request_t *r)
{
    bn_client_t *c = r->client;
    bn_tunnel_t *t;

    r->state = BN_REQ_TUNNEL;
    r->keepalive = false;
    t = bn_pcalloc(r->pool, sizeof(*t));
    if (t == NULL || bn_pool_cleanup_add(r->pool, tunnel_cleanup, t) != BN_OK) {
        bn_log_error(BN_LOG_CRIT, &c->log, 0, "out of memory for a websocket tunnel");
        r->ops->done(r);
        return;
    }
    t->magic = BN_TUNNEL_MAGIC;
    t->r = r;
    t->timer.data = t;
    t->dir[0] = (dir_t){ .src = &c->conn, .dst = &r->up->conn, .buf = &r->body };
    t->dir[1] = (dir_t){ .src = &r->up->conn, .dst = &c->conn, .buf = &r->rbuf, .to_client = true };
    bn_list_insert_head(&tunnels, &t->link);
    ntunnels++;
    bn_count_tunnel(1);
    r->tunnel = t;
    /* The client's frames go through the body's part of its buffer, after
     * the head (which stays as it came, for the log line at the end); it
     * holds whatever followed the head already (a client may send frames
     * before it sees the 101). */
    bn_timer_del(&c->timer);
    bn_timer_del(&r->up_timer);
    r->up_timer.handler = tunnel_timeout;
    bn_log_error(BN_LOG_INFO, &c->log, 0, "websocket tunnel open to %s", r->upstream_addr);
    arm_drain(t);
    bn_tunnel_run(r);
}

/*
 * Going away: once the bytes in d's buffer reach a frame boundary, what
 * follows it is dropped and bouncer's close frame takes its place (masked
 * towards the upstream, RFC 6455 5.1).  Nothing when a close frame already
 * went that way: the close handshake is under way.
 */
static void
queue_close(dir_t *d)
{
    bn_buf_t *b = d->buf;
    frames_t f = d->frames;
    unsigned char frame[8], key[4] = { 0 };
    size_t k, len;

    k = frames_walk(&f, (unsigned char *) b->pos, bn_buf_len(b), true);
    if (f.have != 0 || f.left != 0 || f.close_seen) {
        return;
    }
    b->last = b->pos + k;
    frame[0] = 0x88; /* FIN, close */
    if (d->to_client) {
        frame[1] = 2;
        len = 4;
    } else {
        frame[1] = 0x80 | 2;
        if (RAND_bytes(key, sizeof(key)) != 1) {
            uint32_t v = (uint32_t) bn_current_msec ^ (uint32_t) (uintptr_t) d;
            memcpy(key, &v, sizeof(key));
        }
        memcpy(frame + 2, key, sizeof(key));
        len = 8;
    }
    frame[len - 2] = (unsigned char) (1001 >> 8) ^ key[0];
    frame[len - 1] = (unsigned char) (1001 & 0xff) ^ key[1];
    if (bn_buf_room(b) < len) {
        bn_buf_compact(b);
    }
    if (bn_buf_append(b, frame, len) == BN_OK) {
        d->closing = true;
    }
}

/* Sends what d's buffer holds (one try); the bytes, 0 when blocked, or
 * BN_ERROR. */
static ssize_t
send_some(bn_tunnel_t *t, dir_t *d)
{
    char *p = d->buf->pos;
    ssize_t n = bn_conn_send_buf(d->dst, d->buf, 0);

    if (n > 0) {
        frames_walk(&d->frames, (unsigned char *) p, (size_t) n, false);
        if (d->to_client) {
            t->r->bytes_sent += (uint64_t) n;
        }
    }
    return n;
}

/*
 * Moves bytes from d's source into its buffer and from there on.  Returns
 * 1 after progress, 0 when blocked, BN_ERROR when a side failed.
 */
static int
move(bn_tunnel_t *t, dir_t *d)
{
    bn_buf_t *b = d->buf;
    char sink[4096];
    size_t dropped = 0;
    int progress = 0;
    ssize_t n;

    for (;;) {
        bool blocked_read = true, blocked_write = true;
        bool drop = d->closing;

        /* Bytes that are dropped are not held back by a full buffer: a
         * side that keeps sending must not keep the loop here.  What is
         * left waits for the next event, or for the closing timer. */
        if (drop && dropped >= DROP_PER_RUN) {
            return 1;
        }
        if (!d->eof && (drop || bn_buf_room(b) > 0)) {
            n = drop ? bn_conn_recv(d->src, sink, sizeof(sink))
                     : bn_conn_recv(d->src, b->last, bn_buf_room(b));
            if (n == BN_ERROR) {
                return BN_ERROR;
            }
            if (n == 0) {
                d->eof = true;
                progress = 1;
            } else if (n > 0) {
                b->last += drop ? 0 : n;
                dropped += drop ? (size_t) n : 0;
                t->r->bytes_received += d->to_client ? 0 : (uint64_t) n;
                progress = 1;
                blocked_read = false;
            }
        }
        if (t->going_away && !d->closing) {
            queue_close(d);
        }
        if (bn_buf_len(b) > 0) {
            n = send_some(t, d);
            if (n == BN_ERROR) {
                return BN_ERROR;
            }
            if (n > 0) {
                progress = 1;
                blocked_write = false;
            }
        }
        if (bn_buf_len(b) == 0) {
            b->pos = b->last = b->start;
        }
        if (blocked_read && blocked_write) {
            return progress;
        }
    }
}

void
bn_tunnel_run(bn_request_t *r)
{
    bn_client_t *c = r->client;
    bn_tunnel_t *t = r->tunnel;
    int a, b;

    BN_CHECK_OBJ(t, BN_TUNNEL_MAGIC);
    /* The 101 head first; only then may upstream bytes follow it. */
    if (bn_buf_len(&r->rout) > 0) {
        ssize_t n = bn_conn_send_buf(&c->conn, &r->rout, 0);
        if (n == BN_ERROR) {
            r->ops->done(r);
            return;
        }
        r->bytes_sent += n > 0 ? (uint64_t) n : 0;
        if (bn_buf_len(&r->rout) > 0) {
            bn_timer_set(&r->up_timer, r->route->websocket_idle_timeout);
            return;
        }
    }
    a = move(t, &t->dir[0]);
    b = move(t, &t->dir[1]);
    if (a == BN_ERROR || b == BN_ERROR) {
        r->ops->done(r);
        return;
    }
    /* A side that ended, or was sent bouncer's close frame, once every byte
     * for it is delivered: its FIN. */
    for (int i = 0; i < 2; i++) {
        dir_t *d = &t->dir[i];
        if ((d->eof || d->closing) && bn_buf_len(d->buf) == 0 && !d->shut) {
            bn_conn_shutdown_write(d->dst);
            d->shut = true;
        }
    }
    /* Done when both sides were shut and both closed theirs: after
     * bouncer's close frames, that is each side's answer to them. */
    if (t->dir[0].shut && t->dir[1].shut && t->dir[0].eof && t->dir[1].eof) {
        r->ops->done(r);
        return;
    }
    if (a > 0 || b > 0 || !bn_timer_armed(&r->up_timer)) {
        bn_timer_set(&r->up_timer, r->route->websocket_idle_timeout);
    }
}

void
bn_tunnel_end_all(void)
{
    bn_list_t *it, *next;

    bn_list_foreach (&tunnels, it, next) {
        bn_tunnel_t *t = bn_list_data(it, bn_tunnel_t, link);
        bn_request_t *r = t->r;

        t->going_away = true;
        for (int i = 0; i < 2 && bn_buf_len(&r->rout) == 0; i++) {
            if (!t->dir[i].closing) {
                queue_close(&t->dir[i]);
            }
            if (t->dir[i].closing) {
                send_some(t, &t->dir[i]);
            }
        }
        bn_log_error(BN_LOG_INFO, &r->client->log, 0, "websocket tunnel ended: worker exiting");
        r->ops->done(r);
    }
}
