/*
 * upstream.c: the upstream side of a worker: choosing a server (smooth
 * weighted round robin), connecting without blocking, failing over to the
 * next server when a connect fails, and the per-worker pool of idle
 * keep-alive connections.
 */
#include "http.h"
#include "../common/clock.h"

#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

typedef struct {
    bn_conf_upstream_t *conf;
    int *current;    /* smooth weighted round robin state, per peer */
    unsigned *fails; /* passive health, per peer (this worker's view) */
    bn_msec_t *down_until;
    bn_upconn_t *idle; /* pooled connections, most recent first */
    unsigned nidle;
} upstream_rt_t;

static upstream_rt_t *rts;
static size_t nrts;

int
bn_upstream_init(bn_conf_t *conf)
{
    nrts = conf->nupstreams;
    rts = calloc(nrts + 1, sizeof(upstream_rt_t));
    if (rts == NULL) {
        return BN_ERROR;
    }
    for (size_t i = 0; i < nrts; i++) {
        size_t n = conf->upstreams[i].npeers;
        rts[i].conf = &conf->upstreams[i];
        rts[i].current = calloc(n, sizeof(int));
        rts[i].fails = calloc(n, sizeof(unsigned));
        rts[i].down_until = calloc(n, sizeof(bn_msec_t));
        if (rts[i].current == NULL || rts[i].fails == NULL || rts[i].down_until == NULL) {
            return BN_ERROR;
        }
    }
    return BN_OK;
}

static bool
peer_usable(upstream_rt_t *rt, unsigned i, uint64_t tried)
{
    bn_conf_peer_t *p = &rt->conf->peers[i];

    return !p->down && p->weight > 0 && !(tried & (1ULL << (i % 64)))
           && rt->down_until[i] <= bn_current_msec;
}

/*
 * Smooth weighted round robin (as nginx): each pick adds every usable
 * peer's weight to its current value and takes the largest, which then
 * pays back the total.  5:1:1 gives a a b a c a a, never five in a row.
 */
static int
pick_peer(upstream_rt_t *rt, uint64_t tried)
{
    int best = -1, total = 0;

    for (int pass = 0; pass < 2 && best == -1; pass++) {
        bool want_backup = pass == 1;
        for (unsigned i = 0; i < rt->conf->npeers; i++) {
            if (rt->conf->peers[i].backup != want_backup || !peer_usable(rt, i, tried)) {
                continue;
            }
            rt->current[i] += (int) rt->conf->peers[i].weight;
            total += (int) rt->conf->peers[i].weight;
            if (best == -1 || rt->current[i] > rt->current[best]) {
                best = (int) i;
            }
        }
    }
    if (best != -1) {
        rt->current[best] -= total;
    }
    return best;
}

static void
upconn_free(void *data)
{
    bn_upconn_t *u = data;

    u->magic = 0;
    free(u);
}

static void
pool_unlink(upstream_rt_t *rt, bn_upconn_t *u)
{
    if (u->prev != NULL) {
        u->prev->next = u->next;
    } else {
        rt->idle = u->next;
    }
    if (u->next != NULL) {
        u->next->prev = u->prev;
    }
    u->next = u->prev = NULL;
    u->pooled = false;
    rt->nidle--;
}

static void
upconn_close(bn_upconn_t *u)
{
    BN_CHECK_OBJ(u, BN_UPCONN_MAGIC);
    if (u->pooled) {
        pool_unlink(&rts[u->upstream->index], u);
    }
    bn_timer_del(&u->timer);
    bn_event_del(&u->conn.io);
    close(u->conn.io.fd);
    u->conn.io.fd = -1;
    u->conn.io.closed = true;
    bn_worker_conn_count--;
    bn_event_defer_free(upconn_free, u);
}

static void
idle_timeout(bn_timer_t *t)
{
    upconn_close(t->data);
}


static void
connect_failed(bn_request_t *r, int err, const char *what)
{
    bn_upconn_t *u = r->up;
    bn_conf_upstream_t *up = r->upstream;

    r->client->log.action = "connecting to upstream";
    bn_log_error(BN_LOG_ERR, &r->client->log, err, "%s", what);
    bn_upstream_peer_failed(r, err == ETIMEDOUT ? BN_FAIL_TIMEOUT : BN_FAIL_ERROR);
    r->up = NULL;
    u->req = NULL;
    upconn_close(u);
    r->client->log.action = NULL;
    if (r->tries <= up->retries) {
        bn_upstream_connect(r);
        return;
    }
    bn_http_upstream_failed(r, err == ETIMEDOUT ? 504 : 502,
                            err == ETIMEDOUT ? "upstream timed out"
                                             : "no upstream could be reached");
}

static void
connect_timeout(bn_timer_t *t)
{
    bn_request_t *r = t->data;

    connect_failed(r, ETIMEDOUT, "upstream timed out while connecting");
}

static void
upconn_event(bn_io_t *io, uint32_t events)
{
    bn_upconn_t *u = (bn_upconn_t *) io;
    bn_request_t *r = u->req;
    int err = 0;
    socklen_t len = sizeof(err);

    BN_CHECK_OBJ(u, BN_UPCONN_MAGIC);
    bn_conn_ready(&u->conn, events);
    if (r == NULL) {
        /* Pooled: anything but writability means the upstream closed it or
         * sent bytes no request asked for.  Either way it is unusable. */
        if (events & ~(uint32_t) EPOLLOUT) {
            upconn_close(u);
        }
        return;
    }
    if (!u->connected) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            return;
        }
        if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
            err = errno;
        }
        if (err != 0) {
            connect_failed(r, err, "connect() to upstream failed");
            return;
        }
        u->connected = true;
        bn_http_upstream_ready(r);
        return;
    }
    bn_http_run(r);
}

static void connect_peer(bn_request_t *r, unsigned peer);

void
bn_upstream_connect(bn_request_t *r)
{
    bn_conf_upstream_t *up = r->upstream;
    upstream_rt_t *rt = &rts[up->index];
    bn_upconn_t *u;
    int peer;

    peer = pick_peer(rt, r->tried_mask);
    if (peer == -1) {
        r->client->log.action = "connecting to upstream";
        bn_http_upstream_failed(r, 502,
                                r->tries == 0 ? "no live upstreams" : "no further upstream to try");
        return;
    }
    r->tries++;
    r->tried_mask |= 1ULL << (peer % 64);

    for (u = rt->idle; u != NULL; u = u->next) {
        if (u->peer == (unsigned) peer) {
            pool_unlink(rt, u);
            bn_timer_del(&u->timer);
            u->req = r;
            u->reused = true;
            r->up = u;
            bn_http_upstream_ready(r);
            return;
        }
    }
    connect_peer(r, (unsigned) peer);
}

void
bn_upstream_reconnect(bn_request_t *r)
{
    unsigned peer = r->up->peer;

    bn_upstream_release(r, false);
    connect_peer(r, peer);
}

/* Opens a new connection to one server of r's upstream. */
static void
connect_peer(bn_request_t *r, unsigned peer)
{
    bn_conf_upstream_t *up = r->upstream;
    bn_conf_peer_t *p = &up->peers[peer];
    bn_upconn_t *u;
    int fd, one = 1;

    u = calloc(1, sizeof(*u));
    if (u == NULL) {
        bn_log_error(BN_LOG_CRIT, &r->client->log, 0, "out of memory for an upstream connection");
        bn_http_upstream_failed(r, 502, "out of memory");
        return;
    }
    fd = socket(p->addr.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        int err = errno;
        free(u);
        bn_log_error(err == EMFILE || err == ENFILE ? BN_LOG_CRIT : BN_LOG_ERR, &r->client->log,
                     err, "socket() failed");
        bn_http_upstream_failed(r, 502, "cannot open a connection to the upstream");
        return;
    }
    if (p->addr.sa.ss_family != AF_UNIX) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    bn_worker_conn_count++;
    u->magic = BN_UPCONN_MAGIC;
    u->conn.io.fd = fd;
    u->conn.io.handler = upconn_event;
    u->upstream = up;
    u->peer = peer;
    u->req = r;
    u->timer.handler = idle_timeout;
    u->timer.data = u;
    r->up = u;
    bn_sockaddr_text((struct sockaddr *) &p->addr.sa, p->addr.len, r->upstream_addr,
                     sizeof(r->upstream_addr));
    /* Watched only once connect() has begun: an unconnected socket reports
     * EPOLLOUT|EPOLLHUP, which would read as a finished connect. */
    if (connect(fd, (struct sockaddr *) &p->addr.sa, p->addr.len) == -1) {
        if (errno != EINPROGRESS) {
            connect_failed(r, errno, "connect() to upstream failed");
            return;
        }
        if (bn_event_add(&u->conn.io) != BN_OK) {
            connect_failed(r, errno, "cannot watch the upstream connection");
            return;
        }
        r->up_timer.handler = connect_timeout;
        bn_timer_set(&r->up_timer,
                     r->route->connect_timeout ? r->route->connect_timeout : up->connect_timeout);
        return;
    }
    if (bn_event_add(&u->conn.io) != BN_OK) {
        connect_failed(r, errno, "cannot watch the upstream connection");
        return;
    }
    u->connected = true;
    u->conn.writable = true;
    bn_http_upstream_ready(r);
}


void
bn_upstream_release(bn_request_t *r, bool reusable)
{
    bn_upconn_t *u = r->up;
    upstream_rt_t *rt;

    if (u == NULL) {
        return;
    }
    BN_CHECK_OBJ(u, BN_UPCONN_MAGIC);
    r->up = NULL;
    u->req = NULL;
    bn_timer_del(&r->up_timer);
    rt = &rts[u->upstream->index];
    if (reusable && u->connected && !r->peer_failure_counted) {
        /* The upstream works: forget its failures. */
        rt->fails[u->peer] = 0;
    }
    if (!reusable || !u->connected || u->upstream->keepalive == 0 || bn_worker_quitting) {
        upconn_close(u);
        return;
    }
    if (rt->nidle >= u->upstream->keepalive) {
        /* The pool is full: the least recently used connection makes room. */
        bn_upconn_t *old = rt->idle;
        while (old->next != NULL) {
            old = old->next;
        }
        upconn_close(old);
    }
    u->next = rt->idle;
    u->prev = NULL;
    if (rt->idle != NULL) {
        rt->idle->prev = u;
    }
    rt->idle = u;
    rt->nidle++;
    u->pooled = true;
    bn_timer_set(&u->timer, u->upstream->keepalive_timeout);
}

void
bn_upstream_peer_failed(bn_request_t *r, unsigned why)
{
    bn_upconn_t *u = r->up;
    bn_conf_peer_t *p;
    upstream_rt_t *rt;

    if (u == NULL || !(u->upstream->fail_on & why)) {
        return;
    }
    r->peer_failure_counted = true;
    rt = &rts[u->upstream->index];
    p = &u->upstream->peers[u->peer];
    /* With nowhere else to go, marking the only server down would only turn
     * one failure into fail_timeout of 502s. */
    if (p->max_fails == 0 || u->upstream->npeers == 1) {
        return;
    }
    if (++rt->fails[u->peer] >= p->max_fails) {
        rt->fails[u->peer] = 0;
        rt->down_until[u->peer] = bn_current_msec + p->fail_timeout;
        bn_log_error(BN_LOG_WARN, NULL, 0,
                     "upstream server %s of \"%s\" is marked down for %" PRIu64 "ms", p->address,
                     u->upstream->name, p->fail_timeout);
    }
}

void
bn_upstream_close_idle(void)
{
    for (size_t i = 0; i < nrts; i++) {
        while (rts[i].idle != NULL) {
            upconn_close(rts[i].idle);
        }
    }
}
