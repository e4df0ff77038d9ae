/*
 * tunnel.c: after a 101 Switching Protocols, the client and upstream
 * connections carry bytes both ways, untouched, until both sides are done.
 *
 * Each direction has a buffer (client to upstream: the client's input
 * buffer; upstream to client: the request's response buffer).  A side that
 * closes gets its FIN passed on once every byte it sent has been delivered,
 * so a close handshake in progress completes.  Only the tunnel's own
 * idle_timeout ends a quiet tunnel: the upstream read_timeout, meant for
 * waiting on an answer, does not apply to a WebSocket that is merely idle.
 */
#include "http.h"
#include "../common/clock.h"

#include <sys/socket.h>

static void
tunnel_timeout(bn_timer_t *t)
{
    bn_request_t *r = t->data;

    bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                 "websocket tunnel idle for %" PRIu64 "ms; closing",
                 r->route->websocket_idle_timeout);
    bn_http_finish_closing(r);
}

void
bn_tunnel_start(bn_request_t *r)
{
    bn_client_t *c = r->client;

    r->state = BN_REQ_TUNNEL;
    r->keepalive = false;
    /* The client's buffer now carries its frames: whatever followed the
     * head (a client may send frames before it sees the 101). */
    c->in.pos = c->in.start + r->head.head_len;
    bn_buf_compact(&c->in);
    bn_timer_del(&c->timer);
    bn_timer_del(&r->up_timer);
    r->up_timer.handler = tunnel_timeout;
    bn_log_error(BN_LOG_INFO, &c->log, 0, "websocket tunnel open to %s", r->upstream_addr);
    bn_tunnel_run(r);
}

/*
 * Moves bytes from src into b and from b to dst.  Returns 1 after progress,
 * 0 when blocked, BN_ERROR when a side failed.  *eof is set when src ended.
 */
static int
shovel(bn_conn_t *src, bn_buf_t *b, bn_conn_t *dst, bool *eof, uint64_t *moved)
{
    int progress = 0;
    ssize_t n;

    for (;;) {
        bool blocked_read = true, blocked_write = true;

        if (!*eof && bn_buf_room(b) > 0) {
            n = bn_conn_recv(src, b->last, bn_buf_room(b));
            if (n == BN_ERROR) {
                return BN_ERROR;
            }
            if (n == 0) {
                *eof = true;
                progress = 1;
            } else if (n > 0) {
                b->last += n;
                progress = 1;
                blocked_read = false;
            }
        }
        if (bn_buf_len(b) > 0) {
            n = bn_conn_send_buf(dst, b, 0);
            if (n == BN_ERROR) {
                return BN_ERROR;
            }
            if (n > 0) {
                *moved += (uint64_t) n;
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
    bn_upconn_t *u = r->up;
    uint64_t before_in = r->bytes_received, before_out = r->bytes_sent;
    int a, b;

    /* The 101 head first; only then may upstream bytes follow it. */
    if (bn_buf_len(&r->rout) > 0) {
        ssize_t n = bn_conn_send_buf(&c->conn, &r->rout, 0);
        if (n == BN_ERROR) {
            bn_http_finish_closing(r);
            return;
        }
        r->bytes_sent += n > 0 ? (uint64_t) n : 0;
        if (bn_buf_len(&r->rout) > 0) {
            bn_timer_set(&r->up_timer, r->route->websocket_idle_timeout);
            return;
        }
    }
    a = shovel(&c->conn, &c->in, &u->conn, &r->tunnel_client_eof, &r->bytes_received);
    b = shovel(&u->conn, &r->rbuf, &c->conn, &r->tunnel_up_eof, &r->bytes_sent);
    if (a == BN_ERROR || b == BN_ERROR) {
        bn_http_finish_closing(r);
        return;
    }
    /* A side that ended, once its bytes are delivered: pass the FIN on. */
    if (r->tunnel_client_eof && bn_buf_len(&c->in) == 0 && !r->tunnel_up_shut) {
        bn_conn_shutdown_write(&u->conn);
        r->tunnel_up_shut = true;
    }
    if (r->tunnel_up_eof && bn_buf_len(&r->rbuf) == 0 && !r->tunnel_client_shut) {
        bn_conn_shutdown_write(&c->conn);
        r->tunnel_client_shut = true;
    }
    if (r->tunnel_up_shut && r->tunnel_client_shut) {
        bn_http_finish_closing(r);
        return;
    }
    if (r->bytes_received != before_in || r->bytes_sent != before_out
        || !bn_timer_armed(&r->up_timer)) {
        bn_timer_set(&r->up_timer, r->route->websocket_idle_timeout);
    }
}
