/*
 * upstream.c: the upstream side of a worker: choosing a server, connecting
 * without blocking, trying the next server when that is safe, the queue of
 * requests waiting for a server below its max_conns, and the per-worker pool
 * of idle keep-alive connections.
 *
 * What every worker must agree on (connections in flight, health, slow
 * start) is in the shared table of common/peers.h; what only steers this
 * worker's own choices (the round-robin counters, the hash ring, the pool,
 * the queue) is here.
 */
#include "upstream.h"
#include "count.h"
#include "../common/metrics.h"
#include "event.h"
#include "pipe.h"
#include "tls.h"
#include "variables.h"
#include "worker_state.h"
#include "../common/clock.h"
#include "../common/peers.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <openssl/hmac.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#define WEIGHT_SCALE 1000 /* weights are scaled so slow_start can ramp smoothly */
#define RING_POINTS 160   /* ketama points per unit of weight */
#define TRIAL_MSEC 60000  /* a trial request's claim lapses if its worker died */

typedef struct {
    uint32_t hash;
    unsigned peer;
} ring_point_t;

typedef struct {
    bn_io_t io; /* the upstream's queue eventfd: a server slot was freed */
    bn_conf_upstream_t *conf;
    int64_t *current;   /* smooth weighted round robin state, per peer */
    ring_point_t *ring; /* hash and ip_hash: sorted points */
    size_t nring;
    char (*sticky)[33];     /* cookie value per peer */
    SSL_SESSION **sessions; /* TLS: the last session of each server, to resume */
    bn_list_t idle;         /* pooled connections, most recent first */
    unsigned nidle;
    unsigned nsurplus;    /* of them, those over keepalive */
    bn_list_t queue;      /* this worker's waiting requests, oldest first */
    bn_posted_t dispatch; /* dispatch_queue() posted: a slot was freed here */
} upstream_rt_t;

typedef enum { PICK_OK = 0, PICK_FULL, PICK_NONE } pick_rc_t;

static upstream_rt_t *rts;
static size_t nrts;
static bn_log_limit_t fd_log; /* out of descriptors for upstream sockets */

static void dispatch_queue(upstream_rt_t *rt);
static void upstream_ready(bn_request_t *r);
static void connect_peer(bn_request_t *r, unsigned peer);
static int tls_new_session(SSL *ssl, SSL_SESSION *sess);

/* ---- choosing a server ------------------------------------------------------------- */

static uint32_t
hash32(const void *data, size_t len, uint32_t out[4])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;

    /* MD5 as ketama: its 16 bytes give four well-spread ring points. */
    EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL);
    for (int i = 0; i < 4; i++) {
        out[i] = (uint32_t) md[i * 4] | (uint32_t) md[i * 4 + 1] << 8
                 | (uint32_t) md[i * 4 + 2] << 16 | (uint32_t) md[i * 4 + 3] << 24;
    }
    return out[0];
}

static int
ring_cmp(const void *a, const void *b)
{
    const ring_point_t *x = a, *y = b;

    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/*
 * A consistent-hash ring (ketama): each server gets points placed by the
 * hash of its address, so the points of one server do not depend on the
 * others, and removing a server moves only the keys that were on it.
 */
static int
build_ring(upstream_rt_t *rt)
{
    bn_conf_upstream_t *up = rt->conf;
    size_t n = 0, total = 0;
    char name[BN_ADDR_TEXT_LEN + 32];

    for (size_t i = 0; i < up->npeers; i++) {
        total += (size_t) up->peers[i].weight * RING_POINTS;
    }
    rt->ring = calloc(total + 1, sizeof(ring_point_t));
    if (rt->ring == NULL) {
        return BN_ERROR;
    }
    for (size_t i = 0; i < up->npeers; i++) {
        for (unsigned j = 0; j < up->peers[i].weight * RING_POINTS / 4; j++) {
            uint32_t h[4];
            bn_line_t l;
            bn_line_init(&l, name, sizeof(name));
            bn_line_printf(&l, "%s-%u", up->peers[i].label, j);
            hash32(name, l.len, h);
            for (int k = 0; k < 4; k++) {
                rt->ring[n].hash = h[k];
                rt->ring[n++].peer = (unsigned) i;
            }
        }
    }
    qsort(rt->ring, n, sizeof(ring_point_t), ring_cmp);
    rt->nring = n;
    return BN_OK;
}

static void
sticky_values(upstream_rt_t *rt)
{
    bn_conf_upstream_t *up = rt->conf;

    for (size_t i = 0; i < up->npeers; i++) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;
        char msg[512];
        bn_line_t l;

        bn_line_init(&l, msg, sizeof(msg));
        bn_line_printf(&l, "%s\n%s", up->name, up->peers[i].label);

        /* Keyed: the cookie names a server without saying its address, and
         * nobody without the key can make one for a server of their choice. */
        HMAC(EVP_sha256(), bn_heritage.secret, sizeof(bn_heritage.secret), (unsigned char *) msg,
             l.len, md, &mdlen);
        for (unsigned k = 0; k < 16; k++) {
            snprintf(rt->sticky[i] + k * 2, 3, "%02x", md[k]);
        }
    }
}

/* The passive-health view of p now: up, down, or due a trial request. */
typedef enum { HEALTH_UP = BN_PEER_UP, HEALTH_DOWN = BN_PEER_DOWN, HEALTH_TRIAL = BN_PEER_TRIAL } health_t;

static health_t
peer_health(const bn_conf_peer_t *p)
{
    return (health_t) bn_peer_health(p, bn_current_msec);
}

/* Weight now, scaled; slow_start ramps it from (almost) zero after recovery. */
static int64_t
effective_weight(const bn_conf_peer_t *p)
{
    int64_t w = (int64_t) p->weight * WEIGHT_SCALE;
    uint64_t since = atomic_load_explicit(&p->state->up_since, memory_order_relaxed);

    if (p->slow_start > 0 && since != 0 && bn_current_msec - since < p->slow_start) {
        w = w * (int64_t) (bn_current_msec - since) / (int64_t) p->slow_start;
        w = BN_MAX(w, 1);
    }
    return w;
}

typedef enum { PEER_USABLE = 0, PEER_FULL, PEER_OUT } usable_t;

static usable_t
peer_usable(const bn_request_t *r, unsigned i)
{
    const bn_conf_peer_t *p = &r->upstream->peers[i];

    if (p->down || p->weight == 0 || (r->upstream_try.tried_mask & (1ULL << (i % 64)))
        || (r->upstream_try.group != 0 && p->group + 1 != r->upstream_try.group) || peer_health(p) == HEALTH_DOWN) {
        return PEER_OUT;
    }
    if (!bn_peer_has_addrs(p)) {
        return PEER_OUT; /* a name that has not resolved yet */
    }
    if (p->max_conns != 0
        && atomic_load_explicit(&p->state->conns, memory_order_relaxed) >= p->max_conns) {
        return PEER_FULL;
    }
    return PEER_USABLE;
}

static uint32_t
rand32(void)
{
    static uint64_t s;

    if (s == 0) {
        s = ((uint64_t) getpid() << 32) ^ bn_current_msec ^ 0x9e3779b97f4a7c15ULL;
    }
    /* xorshift64*: enough to spread load, nothing depends on it being secret. */
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return (uint32_t) ((s * 0x2545f4914f6cdd1dULL) >> 32);
}

/* conns/weight, compared without division. */
static bool
less_loaded(const bn_conf_peer_t *a, const bn_conf_peer_t *b)
{
    uint64_t ca = atomic_load_explicit(&a->state->conns, memory_order_relaxed);
    uint64_t cb = atomic_load_explicit(&b->state->conns, memory_order_relaxed);

    return ca * (uint64_t) effective_weight(b) < cb * (uint64_t) effective_weight(a);
}

/*
 * One pass over the primary (or backup) servers with the upstream's
 * algorithm.  *full is set when a server was left out only because it is
 * at max_conns.
 */
static int
pick_among(upstream_rt_t *rt, bn_request_t *r, bool backup, bool *full)
{
    bn_conf_upstream_t *up = rt->conf;
    int best = -1, cand[2] = { -1, -1 };
    int64_t total = 0, seen = 0;

    switch (up->balance) {
    case BN_BALANCE_HASH:
    case BN_BALANCE_IP_HASH: {
        if (rt->nring == 0) {
            return -1;
        }
        size_t lo = 0, hi = rt->nring;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (rt->ring[mid].hash < r->upstream_try.hash) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        /* Walk on from the key's point to the first server that can take it. */
        for (size_t k = 0; k < rt->nring; k++) {
            unsigned i = rt->ring[(lo + k) % rt->nring].peer;
            usable_t u = peer_usable(r, i);
            if (u == PEER_USABLE) {
                return (int) i;
            }
            *full = *full || u == PEER_FULL;
        }
        return -1;
    }
    default:
        break;
    }

    for (unsigned i = 0; i < up->npeers; i++) {
        usable_t u;
        if (up->peers[i].backup != backup) {
            continue;
        }
        u = peer_usable(r, i);
        if (u != PEER_USABLE) {
            *full = *full || u == PEER_FULL;
            continue;
        }
        int64_t w = effective_weight(&up->peers[i]);
        switch (up->balance) {
        case BN_BALANCE_LEAST_CONN:
            /* Ties go round robin, so equal servers share the load. */
            rt->current[i] += w;
            if (best == -1 || less_loaded(&up->peers[i], &up->peers[best])
                || (!less_loaded(&up->peers[best], &up->peers[i])
                    && rt->current[i] > rt->current[best])) {
                best = (int) i;
            }
            total += w;
            break;
        case BN_BALANCE_RANDOM2:
            /* Two weighted random choices (reservoir sampling), then the
             * less loaded of the two. */
            seen += w;
            if ((int64_t) (rand32() % (uint64_t) seen) < w) {
                cand[1] = cand[0];
                cand[0] = (int) i;
            } else if (cand[1] == -1 || (int64_t) (rand32() % (uint64_t) seen) < w) {
                cand[1] = (int) i;
            }
            break;
        default:
            /* Smooth weighted round robin (as nginx): each pick adds every
             * server's weight to its current value and takes the largest,
             * which then pays back the total: 5:1:1 gives a a b a c a a. */
            rt->current[i] += w;
            total += w;
            if (best == -1 || rt->current[i] > rt->current[best]) {
                best = (int) i;
            }
        }
    }
    if (up->balance == BN_BALANCE_RANDOM2) {
        best = cand[0];
        if (cand[1] != -1 && less_loaded(&up->peers[cand[1]], &up->peers[cand[0]])) {
            best = cand[1];
        }
    } else if (best != -1) {
        rt->current[best] -= total;
    }
    return best;
}

/* Takes a connection slot on peer i; false when max_conns was reached first. */
static bool
take_slot(const bn_conf_peer_t *p)
{
    atomic_uint *c = &p->state->conns;
    unsigned cur = atomic_load_explicit(c, memory_order_relaxed);

    do {
        if (p->max_conns != 0 && cur >= p->max_conns) {
            return false;
        }
    } while (!atomic_compare_exchange_weak_explicit(c, &cur, cur + 1, memory_order_relaxed,
                                                    memory_order_relaxed));
    bn_peer_hold(p->state, bn_heritage.proc);
    return true;
}

static int
sticky_peer(upstream_rt_t *rt, bn_request_t *r)
{
    const char *v;
    size_t len;

    bn_var_cookie(r, rt->conf->sticky.cookie, &v, &len);
    if (v == NULL || len != 32) {
        return -1;
    }
    for (unsigned i = 0; i < rt->conf->npeers; i++) {
        /* A value naming no server (forged, or of a removed one) is ignored. */
        if (memcmp(rt->sticky[i], v, 32) == 0) {
            return peer_usable(r, i) == PEER_USABLE ? (int) i : -1;
        }
    }
    return -1;
}

/*
 * Chooses r's server and takes a slot on it: r->upstream_try.peer is set.  PICK_FULL:
 * servers are up but all at max_conns; PICK_NONE: none is up.
 */
static pick_rc_t
pick_peer(upstream_rt_t *rt, bn_request_t *r)
{
    bn_conf_upstream_t *up = rt->conf;

    for (unsigned attempt = 0; attempt < up->npeers + 2; attempt++) {
        bool full = false;
        int i = -1;

        if (up->sticky.enabled && r->upstream_try.tries == 0 && attempt == 0) {
            i = sticky_peer(rt, r);
            r->upstream_try.sticky_ok = i != -1;
        }
        if (i == -1) {
            i = pick_among(rt, r, false, &full);
        }
        if (i == -1 && !full && up->balance != BN_BALANCE_HASH
            && up->balance != BN_BALANCE_IP_HASH) {
            i = pick_among(rt, r, true, &full);
        }
        if (i == -1) {
            return full ? PICK_FULL : PICK_NONE;
        }
        bn_conf_peer_t *p = &up->peers[i];
        if (peer_health(p) == HEALTH_TRIAL) {
            /* One trial request decides; other workers wait for its outcome. */
            uint64_t prev = atomic_load(&p->state->trial);
            if (prev > bn_current_msec
                || !atomic_compare_exchange_strong(&p->state->trial, &prev,
                                                   bn_current_msec + TRIAL_MSEC)) {
                r->upstream_try.tried_mask |= 1ULL << (i % 64);
                continue;
            }
            r->upstream_try.trial = true;
        }
        if (!take_slot(p)) {
            if (r->upstream_try.trial) {
                atomic_store(&p->state->trial, 0);
                r->upstream_try.trial = false;
            }
            continue; /* another worker took the last slot: choose again */
        }
        r->upstream_try.peer = i + 1;
        return PICK_OK;
    }
    return PICK_FULL;
}

/* ---- health ------------------------------------------------------------------------ */

/* The server of r answered well: a trial ends, its failures are forgiven. */
static void
peer_succeeded(bn_request_t *r)
{
    bn_conf_peer_t *p = &r->upstream->peers[r->upstream_try.peer - 1];
    bn_peer_state_t *st = p->state;
    uint64_t until = atomic_load(&st->down_until);

    if (r->upstream_try.trial) {
        r->upstream_try.trial = false;
        atomic_store(&st->trial, 0);
    }
    if (until != 0 && until <= bn_current_msec
        && atomic_compare_exchange_strong(&st->down_until, &until, 0)) {
        atomic_store(&st->up_since, bn_current_msec);
        bn_log_error(BN_LOG_NOTICE, NULL, 0, "upstream server %s of \"%s\" is up again", p->label,
                     r->upstream->name);
    }
    if (atomic_load_explicit(&st->fails, memory_order_relaxed) != 0) {
        atomic_store_explicit(&st->fails, 0, memory_order_relaxed);
    }
}

/*
 * Whether a server of up other than p (a primary or a backup) is up now.
 * One only due a trial request is not: its last verdict was a failure, and
 * counting it would let the last server that works be marked down the
 * moment the dead one's fail_timeout ends, leaving nothing up if the trial
 * fails.  Nor is one drained, or a name not resolved yet.
 */
static bool
others_up(const bn_conf_upstream_t *up, const bn_conf_peer_t *p)
{
    for (size_t i = 0; i < up->npeers; i++) {
        const bn_conf_peer_t *o = &up->peers[i];
        if (o != p && !o->down && o->weight != 0 && peer_health(o) == HEALTH_UP
            && bn_peer_has_addrs(o)) {
            return true;
        }
    }
    return false;
}

void
bn_upstream_peer_failed(bn_request_t *r, unsigned why)
{
    bn_conf_upstream_t *up = r->upstream;
    bn_conf_peer_t *p;
    bn_peer_state_t *st;
    uint64_t start, until;

    if (r->upstream_try.peer != 0 && !r->upstream_try.peer_failure_counted
        && (why & (BN_FAIL_ERROR | BN_FAIL_TIMEOUT))) {
        /* 5xx answers are counted with the answers (bn_count_peer_answer()). */
        bn_count_peer(&up->peers[r->upstream_try.peer - 1],
                      why == BN_FAIL_TIMEOUT                ? BN_MV_PEER_FAIL_TIMEOUT
                      : r->up != NULL && r->up->connected ? BN_MV_PEER_FAIL_RESET
                                                          : BN_MV_PEER_FAIL_CONNECT,
                      1);
    }
    if (r->upstream_try.peer == 0 || r->upstream_try.peer_failure_counted || !(up->fail_on & why)) {
        return;
    }
    r->upstream_try.peer_failure_counted = true;
    p = &up->peers[r->upstream_try.peer - 1];
    st = p->state;
    if (r->upstream_try.trial) {
        /* The trial failed: down for another fail_timeout.  Said at notice,
         * as every marking down is: the first one alone would leave the log
         * saying nothing of a server that stays down. */
        r->upstream_try.trial = false;
        atomic_store(&st->down_until, bn_current_msec + p->fail_timeout);
        atomic_store(&st->trial, 0);
        bn_log_error(BN_LOG_NOTICE, NULL, 0,
                     "upstream server %s of \"%s\" is down again: its trial request failed; "
                     "next try in %" PRIu64 "ms",
                     p->label, up->name, p->fail_timeout);
        return;
    }
    /* With nowhere else to go, marking the last server standing down would
     * only turn one failure into fail_timeout of 502s for every request,
     * even once it is back. */
    if (p->max_fails == 0 || !others_up(up, p)) {
        return;
    }
    start = atomic_load(&st->fail_start);
    if (bn_current_msec - start > p->fail_timeout
        && atomic_compare_exchange_strong(&st->fail_start, &start, bn_current_msec)) {
        atomic_store(&st->fails, 0);
    }
    if (atomic_fetch_add(&st->fails, 1) + 1 < p->max_fails) {
        return;
    }
    until = atomic_load(&st->down_until);
    if ((until == 0 || until <= bn_current_msec)
        && atomic_compare_exchange_strong(&st->down_until, &until,
                                          bn_current_msec + p->fail_timeout)) {
        atomic_store(&st->fails, 0);
        /* until != 0: its last fail_timeout ended with no answer since,
         * and this is a marking down of its own, logged as the first. */
        bn_log_error(BN_LOG_NOTICE, NULL, 0,
                     "upstream server %s of \"%s\" is down%s: %u failure%s within %" PRIu64
                     "ms; next try in %" PRIu64 "ms",
                     p->label, up->name, until == 0 ? "" : " again", p->max_fails,
                     p->max_fails == 1 ? "" : "s", p->fail_timeout, p->fail_timeout);
    }
}

/* Gives back r's slot on its server, and lets a queued request have it. */
static void
put_slot(bn_request_t *r)
{
    bn_conf_upstream_t *up = r->upstream;
    bn_conf_peer_t *p;
    uint64_t one = 1;

    if (r->upstream_try.peer == 0) {
        return;
    }
    p = &up->peers[r->upstream_try.peer - 1];
    if (r->upstream_try.trial) {
        /* Ended with no verdict (the client left): let another request try. */
        r->upstream_try.trial = false;
        atomic_store(&p->state->trial, 0);
    }
    bn_atomic_dec(&p->state->conns);
    bn_peer_unhold(p->state, bn_heritage.proc);
    r->upstream_try.peer = 0;
    /* The next try is judged on its own. */
    r->upstream_try.peer_failure_counted = false;
    r->upstream_try.addrs_tried = 0;
    if (up->queue_fd != -1 && atomic_load_explicit(&up->state->queued, memory_order_relaxed) > 0) {
        /* Every worker with queued requests wakes; the eventfd is never
         * read, so each write is an edge for all of them. */
        if (write(up->queue_fd, &one, sizeof(one)) == -1) {
            /* Only at 2^64 writes: the queue timeout still bounds the wait. */
        }
    }
}

/* ---- the queue ----------------------------------------------------------------------- */

static void
queue_unlink(upstream_rt_t *rt, bn_request_t *r)
{
    bn_list_remove(&r->upstream_try.qlink);
    r->upstream_try.queued = false;
    bn_atomic_dec(&rt->conf->state->queued);
    bn_peer_unhold(rt->conf->state, bn_heritage.proc);
}

void
bn_upstream_dequeue(bn_request_t *r)
{
    if (r->upstream_try.queued) {
        queue_unlink(&rts[r->upstream->index], r);
    }
}

static void
queue_timeout(bn_timer_t *t)
{
    bn_request_t *r = t->data;

    bn_upstream_dequeue(r);
    r->client->log.action = "waiting in the upstream queue";
    r->ops->failed(r, 503, "upstream queue timed out: every server is at max_conns");
}

static void
enqueue(upstream_rt_t *rt, bn_request_t *r)
{
    bn_conf_upstream_t *up = rt->conf;
    unsigned q = atomic_load(&up->state->queued);

    do {
        if (q >= up->queue_size) {
            r->client->log.action = "connecting to upstream";
            r->ops->failed(r, 503,
                                    up->queue_size ? "every upstream server is at max_conns and "
                                                     "the queue is full"
                                                   : "every upstream server is at max_conns");
            return;
        }
    } while (!atomic_compare_exchange_weak(&up->state->queued, &q, q + 1));
    bn_peer_hold(up->state, bn_heritage.proc);
    r->upstream_try.queued = true;
    bn_list_insert_tail(&rt->queue, &r->upstream_try.qlink);
    r->up_timer.handler = queue_timeout;
    bn_timer_set(&r->up_timer, up->queue_timeout);
}

static void
queue_event(bn_io_t *io, uint32_t events)
{
    dispatch_queue((upstream_rt_t *) io);
}

static void
dispatch_posted(bn_posted_t *p)
{
    dispatch_queue(p->data);
}

/* Gives freed slots to this worker's queued requests, oldest first. */
static void
dispatch_queue(upstream_rt_t *rt)
{
    bn_list_t *first;

    while ((first = bn_list_head(&rt->queue)) != NULL) {
        bn_request_t *r = bn_list_data(first, bn_request_t, upstream_try.qlink);
        pick_rc_t rc = pick_peer(rt, r);
        if (rc == PICK_FULL) {
            return;
        }
        queue_unlink(rt, r);
        bn_timer_del(&r->up_timer);
        if (rc == PICK_NONE) {
            r->client->log.action = "connecting to upstream";
            r->ops->failed(r, 502, "no live upstreams");
            continue;
        }
        r->upstream_try.tries++;
        r->upstream_try.tried_mask |= 1ULL << ((r->upstream_try.peer - 1) % 64);
        bn_upstream_connect_picked(r);
    }
}

/* ---- connections --------------------------------------------------------------------- */

/* A session the server gave us (TLS 1.3: after the handshake): kept for
 * the next connection to the same server.  The context is the upstream's,
 * so a session never crosses to servers trusted under other settings. */
static int
tls_new_session(SSL *ssl, SSL_SESSION *sess)
{
    bn_upconn_t *u = SSL_get_app_data(ssl);
    upstream_rt_t *rt;

    if (u == NULL) {
        return 0;
    }
    rt = &rts[u->upstream->index];
    SSL_SESSION_free(rt->sessions[u->peer]);
    rt->sessions[u->peer] = sess;
    return 1; /* the reference is ours now */
}

int
bn_upstream_init(bn_conf_t *conf)
{
    nrts = conf->nupstreams;
    rts = calloc(nrts + 1, sizeof(upstream_rt_t));
    if (rts == NULL) {
        return BN_ERROR;
    }
    for (size_t i = 0; i < nrts; i++) {
        upstream_rt_t *rt = &rts[i];
        bn_conf_upstream_t *up = &conf->upstreams[i];
        rt->conf = up;
        bn_list_init(&rt->idle);
        bn_list_init(&rt->queue);
        rt->dispatch.handler = dispatch_posted;
        rt->dispatch.data = rt;
        rt->current = calloc(up->npeers, sizeof(int64_t));
        rt->sticky = calloc(up->npeers, sizeof(*rt->sticky));
        if (rt->current == NULL || rt->sticky == NULL) {
            return BN_ERROR;
        }
        if ((up->balance == BN_BALANCE_HASH || up->balance == BN_BALANCE_IP_HASH)
            && build_ring(rt) != BN_OK) {
            return BN_ERROR;
        }
        if (up->sticky.enabled) {
            sticky_values(rt);
        }
        if (up->tls_ctx != NULL) {
            rt->sessions = calloc(up->npeers, sizeof(SSL_SESSION *));
            if (rt->sessions == NULL) {
                return BN_ERROR;
            }
            SSL_CTX_sess_set_new_cb(up->tls_ctx, tls_new_session);
        }
        if (up->queue_fd != -1) {
            rt->io.fd = up->queue_fd;
            rt->io.handler = queue_event;
            if (bn_event_add(&rt->io) != BN_OK) {
                return BN_ERROR;
            }
        }
    }
    return BN_OK;
}

const char *
bn_upstream_sticky_value(bn_request_t *r)
{
    if (!r->upstream->sticky.enabled || r->upstream_try.sticky_ok || r->up == NULL) {
        return NULL;
    }
    return rts[r->upstream->index].sticky[r->up->peer];
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
    bn_list_remove(&u->link);
    u->pooled = false;
    rt->nidle--;
    rt->nsurplus -= u->surplus;
    u->surplus = false;
    bn_count_peer(&u->upstream->peers[u->peer], BN_MV_PEER_IDLE, -1);
}

static void
upconn_close(bn_upconn_t *u)
{
    BN_CHECK_OBJ(u, BN_UPCONN_MAGIC);
    if (u->pooled) {
        pool_unlink(&rts[u->upstream->index], u);
    }
    bn_timer_del(&u->timer);
    /* close() takes the socket out of the interest set, as for clients. */
    bn_tls_close(&u->conn);
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

bool
bn_upstream_replayable(const bn_request_t *r)
{
    return bn_http_method_idempotent(r->method)
           && (r->req_pipe.in_mode == BN_BODY_NONE || r->body_replayable
               || r->req_pipe.held_whole);
}

/* Puts r back as it was before its first byte went upstream: head and body
 * to send again, no response read. */
static void
rewind_request(bn_request_t *r)
{
    r->out.pos = r->out.start;
    r->out.last = r->out.start + r->out_len;
    r->sent_any = false;
    if (r->body_replayable) {
        r->body.pos = r->body.start;
        bn_pipe_init(&r->req_pipe, &r->body, BN_BODY_LENGTH, r->head.content_length, false);
        r->body_sent = 0;
    } else if (r->req_pipe.held_whole) {
        bn_pipe_rewind_held(&r->req_pipe); /* the WAF held it all */
        r->body_sent = 0;
    } else if (r->req_pipe.in_mode == BN_BODY_NONE) {
        bn_pipe_init(&r->req_pipe, &r->body, BN_BODY_NONE, 0, false);
    }
    r->rbuf.pos = r->rbuf.last = r->rbuf.start;
    bn_http_head_init(&r->rhead, BN_HTTP_PARSE_RESPONSE);
    r->state = BN_REQ_CONNECTING;
}

/* Whether a server r has not tried might still take it (it may be at
 * max_conns for now); without one a retry could only fail again. */
static bool
untried_server_left(const bn_request_t *r)
{
    for (unsigned i = 0; i < r->upstream->npeers; i++) {
        if (peer_usable(r, i) != PEER_OUT) {
            return true;
        }
    }
    return false;
}

bool
bn_upstream_retry(bn_request_t *r, int status, const char *why)
{
    bn_conf_upstream_t *up = r->upstream;

    /* Safe: nothing reached the server, or the method may be repeated and
     * all of the request is still here to send again. */
    if ((r->sent_any && !bn_upstream_replayable(r)) || r->upstream_try.tries > up->retries || r->resp_started
        || bn_current_msec - r->upstream_start_msec >= up->retry_timeout
        || !untried_server_left(r)) {
        return false;
    }
    bn_log_error(BN_LOG_WARN, &r->client->log, 0, "%s; trying another server", why);
    r->upstream_try.fail_status = status;
    r->upstream_try.sticky_ok = false; /* a pinned server that failed: the cookie must change */
    bn_upstream_release(r, false);
    rewind_request(r);
    bn_upstream_connect(r);
    return true;
}

/*
 * After a failed connect: another address of the same name, if it has one
 * not tried yet, gets the request without counting against retries (a name
 * is one server to the user, whichever of its addresses answers).  A name
 * resolved at load has a server per address (expand_peers() in conf_upstream.c): the
 * balancer picks among that group's.  A name re-resolved while running is
 * one server: its next address is dialled with the slot it holds.
 */
static bool
next_address(bn_request_t *r, unsigned failed, bool same_peer)
{
    bn_conf_upstream_t *up = r->upstream;
    upstream_rt_t *rt = &rts[up->index];

    if (bn_current_msec - r->upstream_start_msec >= up->retry_timeout) {
        return false;
    }
    r->upstream_try.sticky_ok = false; /* the cookie named the address that failed */
    if (same_peer) {
        bn_log_error(BN_LOG_WARN, &r->client->log, 0,
                     "upstream could not be reached; trying the next address of %s",
                     up->peers[failed].label);
        rewind_request(r);
        connect_peer(r, failed);
        return true;
    }
    r->upstream_try.group = up->peers[failed].group + 1;
    if (pick_peer(rt, r) != PICK_OK) {
        r->upstream_try.group = 0;
        return false;
    }
    r->upstream_try.group = 0;
    bn_log_error(BN_LOG_WARN, &r->client->log, 0,
                 "upstream could not be reached; trying the next address of %s",
                 up->peers[failed].address);
    r->upstream_try.tried_mask |= 1ULL << ((r->upstream_try.peer - 1) % 64);
    rewind_request(r);
    bn_upstream_connect_picked(r);
    return true;
}

static void
connect_failed(bn_request_t *r, int err, const char *what)
{
    bn_upconn_t *u = r->up;
    unsigned failed = (unsigned) r->upstream_try.peer - 1;
    const bn_conf_peer_t *p = r->upstream_try.peer != 0 ? &r->upstream->peers[failed] : NULL;
    /* resolve = true: another address of this server is left to dial. */
    bool same_peer = p != NULL && p->resolve
                     && (unsigned) __builtin_popcount(r->upstream_try.addrs_tried) < bn_peer_naddrs(p);

    r->client->log.action = "connecting to upstream";
    bn_log_error(BN_LOG_ERR, &r->client->log, err, "%s", what);
    if (!same_peer) {
        bn_upstream_peer_failed(r, err == ETIMEDOUT ? BN_FAIL_TIMEOUT : BN_FAIL_ERROR);
    }
    if (u != NULL) {
        r->up = NULL;
        u->req = NULL;
        upconn_close(u);
    }
    bn_timer_del(&r->up_timer);
    if (!same_peer) {
        put_slot(r);
    }
    r->client->log.action = NULL;
    /* Nothing was sent: any request may go to the next server. */
    r->sent_any = false;
    if (p != NULL && next_address(r, failed, same_peer)) {
        return;
    }
    if (same_peer) {
        put_slot(r);
    }
    if (bn_upstream_retry(r, err == ETIMEDOUT ? 504 : 502, "upstream could not be reached")) {
        return;
    }
    r->ops->failed(r, err == ETIMEDOUT ? 504 : 502,
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
tls_handshake(bn_request_t *r, bn_upconn_t *u)
{
    SSL *ssl = u->conn.ssl;
    char msg[320];
    int rc, e;
    long vr;

    ERR_clear_error();
    rc = SSL_do_handshake(ssl);
    if (rc == 1) {
        u->handshaking = false;
        upstream_ready(r);
        return;
    }
    e = SSL_get_error(ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        u->conn.readable = false;
        return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        u->conn.writable = false;
        return;
    }
    vr = SSL_get_verify_result(ssl);
    snprintf(msg, sizeof(msg), "TLS handshake with upstream failed: %s",
             vr != X509_V_OK ? X509_verify_cert_error_string(vr) : bn_tls_error());
    ERR_clear_error();
    connect_failed(r, 0, msg);
}

/* TCP is up: plain, the request goes; TLS, the handshake starts (still
 * under connect_timeout). */
static void
connected(bn_request_t *r, bn_upconn_t *u)
{
    bn_conf_upstream_t *up = u->upstream;
    bn_conf_peer_t *p = &up->peers[u->peer];
    upstream_rt_t *rt = &rts[up->index];
    struct in6_addr ip;
    const char *name;
    SSL *ssl;

    u->connected = true;
    if (up->tls_ctx == NULL) {
        upstream_ready(r);
        return;
    }
    ssl = SSL_new(up->tls_ctx);
    if (ssl == NULL || bn_tls_set_fd(&u->conn, ssl) != BN_OK) {
        SSL_free(ssl);
        connect_failed(r, ENOMEM, "SSL_new() failed");
        return;
    }
    u->conn.ssl = ssl;
    SSL_set_app_data(ssl, u);
    SSL_set_connect_state(ssl);
    name = up->tls.sni ? up->tls.sni : p->host;
    if (name != NULL) {
        bool literal = inet_pton(AF_INET, name, &ip) == 1 || inet_pton(AF_INET6, name, &ip) == 1;
        /* An address is no name to send (RFC 6066 3), but still one to check. */
        if (!literal) {
            SSL_set_tlsext_host_name(ssl, name);
        }
        if (up->tls.verify) {
            if (literal) {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
            } else {
                SSL_set1_host(ssl, name);
            }
        }
    }
    if (rt->sessions[u->peer] != NULL) {
        SSL_set_session(ssl, rt->sessions[u->peer]);
    }
    u->handshaking = true;
    if (!bn_timer_armed(&r->up_timer)) {
        /* Connected at once: the handshake still has connect_timeout. */
        r->up_timer.handler = connect_timeout;
        bn_timer_set(&r->up_timer,
                     r->route->connect_timeout ? r->route->connect_timeout : up->connect_timeout);
    }
    tls_handshake(r, u);
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
        connected(r, u);
        return;
    }
    if (u->handshaking) {
        tls_handshake(r, u);
        return;
    }
    r->ops->run(r);
}

void
bn_upstream_connect(bn_request_t *r)
{
    upstream_rt_t *rt = &rts[r->upstream->index];
    pick_rc_t rc;

    if (r->upstream_try.tries == 0 && rt->conf->balance == BN_BALANCE_HASH) {
        const char *key = bn_var_expand(r, &rt->conf->hash_key);
        uint32_t h[4];
        r->upstream_try.hash = key ? hash32(key, strlen(key), h) : 0;
    } else if (r->upstream_try.tries == 0 && rt->conf->balance == BN_BALANCE_IP_HASH) {
        uint32_t h[4];
        r->upstream_try.hash = hash32(r->remote_addr, strlen(r->remote_addr), h);
    }
    rc = pick_peer(rt, r);
    if (rc == PICK_FULL && r->upstream_try.tries == 0) {
        enqueue(rt, r);
        /* A slot freed by another worker between our pick and the queued
         * count going up woke no one: look again now that it is counted. */
        bn_event_post(&rt->dispatch);
        return;
    }
    if (rc != PICK_OK) {
        r->client->log.action = "connecting to upstream";
        r->ops->failed(r, r->upstream_try.fail_status ? r->upstream_try.fail_status : 502,
                                r->upstream_try.tries == 0 ? "no live upstreams: every server is down"
                                              : "no further upstream to try");
        return;
    }
    r->upstream_try.tries++;
    r->upstream_try.tried_mask |= 1ULL << ((r->upstream_try.peer - 1) % 64);
    bn_upstream_connect_picked(r);
}

/* Whether pooled connection u goes to an address its server still has. */
static bool
still_resolves(const bn_conf_peer_t *p, const bn_upconn_t *u)
{
    bn_addr_t all[BN_PEER_MAX_ADDRS];
    unsigned n;

    if (!p->resolve) {
        return true;
    }
    n = bn_peer_addrs(p, all, BN_PEER_MAX_ADDRS);
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(all[i].text, u->addr_text) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Whether pooled connection u can take request r: the peer has not shut it
 * and sent nothing since its last response.  Its events say so only once
 * handled, and a FIN may be waiting in this very pass of the loop, so the
 * socket is asked (one recv that never blocks nor consumes).  A request that
 * can be sent again skips that recv when no event came since the connection
 * went idle: should the peer have closed it after all, the request is
 * replayed once on a fresh connection (read_response_head), which costs that
 * one request a round trip rather than every request a system call.
 */
static bool
pooled_alive(bn_upconn_t *u, const bn_request_t *r)
{
    char b;
    ssize_t n;

    if (u->conn.rdhup || (u->conn.ssl != NULL && SSL_has_pending(u->conn.ssl))) {
        return false;
    }
    if (!u->conn.readable && !r->stale_retried && bn_upstream_replayable(r)) {
        return true;
    }
    do {
        n = recv(u->conn.io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    } while (n == -1 && errno == EINTR);
    return n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void
bn_upstream_connect_picked(bn_request_t *r)
{
    upstream_rt_t *rt = &rts[r->upstream->index];
    unsigned peer = (unsigned) r->upstream_try.peer - 1;

    bn_list_t *it, *next;

    bn_list_foreach (&rt->idle, it, next) {
        bn_upconn_t *u = bn_list_data(it, bn_upconn_t, link);
        if (u->peer == peer
            && (!still_resolves(&r->upstream->peers[peer], u) || !pooled_alive(u, r))) {
            /* To an address the name no longer has, or closed by the peer. */
            upconn_close(u);
            continue;
        }
        if (u->peer == peer) {
            pool_unlink(rt, u);
            bn_timer_del(&u->timer);
            u->req = r;
            u->reused = true;
            r->up = u;
            upstream_ready(r);
            return;
        }
    }
    connect_peer(r, peer);
}

void
bn_upstream_reconnect(bn_request_t *r)
{
    unsigned peer = r->up->peer;
    bn_upconn_t *u = r->up;

    /* The slot stays taken: the request goes on with the same server. */
    r->up = NULL;
    u->req = NULL;
    upconn_close(u);
    bn_timer_del(&r->up_timer);
    rewind_request(r);
    connect_peer(r, peer);
}

/* Opens a new connection to one server of r's upstream. */
static void
connect_peer(bn_request_t *r, unsigned peer)
{
    bn_conf_upstream_t *up = r->upstream;
    bn_conf_peer_t *p = &up->peers[peer];
    bn_addr_t addr;
    bn_upconn_t *u;
    int fd, one = 1;

    int ai = bn_peer_pick_addr(p, r->upstream_try.addrs_tried, &addr);

    if (ai == -1) {
        connect_failed(r, 0, "the upstream server has no address");
        return;
    }
    r->upstream_try.addrs_tried |= 1u << ai;
    u = calloc(1, sizeof(*u));
    if (u == NULL) {
        bn_log_error(BN_LOG_CRIT, &r->client->log, 0, "out of memory for an upstream connection");
        put_slot(r);
        r->ops->failed(r, 502, "out of memory");
        return;
    }
    fd = socket(addr.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        int err = errno;
        unsigned more = 0;
        free(u);
        if (err != EMFILE && err != ENFILE) {
            bn_log_error(BN_LOG_ERR, &r->client->log, err, "socket() failed");
        } else if (bn_log_limited(&fd_log, &more)) {
            /* Out of descriptors, every request that comes meets it: once
             * a second is enough to say so (the 502s are logged each). */
            bn_log_error(BN_LOG_CRIT, &r->client->log, err,
                         "socket() for an upstream connection failed; %u more since the last "
                         "report",
                         more);
        }
        put_slot(r);
        r->ops->failed(r, 502, "cannot open a connection to the upstream");
        return;
    }
    if (addr.sa.ss_family != AF_UNIX) {
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
    memcpy(u->addr_text, addr.text, sizeof(u->addr_text));
    r->up = u;
    snprintf(r->upstream_addr, sizeof(r->upstream_addr), "%s", addr.text);
    /* Watched only once connect() has begun: an unconnected socket reports
     * EPOLLOUT|EPOLLHUP, which would read as a finished connect. */
    if (connect(fd, (struct sockaddr *) &addr.sa, addr.len) == -1) {
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
    u->conn.writable = true;
    connected(r, u);
}

void
bn_upstream_release(bn_request_t *r, bool reusable)
{
    bn_upconn_t *u = r->up;
    upstream_rt_t *rt;

    bn_upstream_dequeue(r);
    if (r->upstream_try.peer != 0 && r->rhead_done) {
        bn_count_peer_answer(r, &r->upstream->peers[r->upstream_try.peer - 1]);
    }
    if (r->upstream_try.peer != 0 && r->rhead_done && !r->upstream_try.peer_failure_counted) {
        /* The server answered: it works. */
        peer_succeeded(r);
    }
    put_slot(r);
    if (u == NULL) {
        return;
    }
    BN_CHECK_OBJ(u, BN_UPCONN_MAGIC);
    r->up = NULL;
    u->req = NULL;
    bn_timer_del(&r->up_timer);
    rt = &rts[u->upstream->index];
    /* A peer that shut its side (rdhup: its FIN may have come with the
     * response's last bytes, whose event is spent) would take the next
     * request and answer it with a reset. */
    if (!reusable || !u->connected || u->conn.rdhup || u->upstream->keepalive == 0
        || bn_worker_quitting) {
        upconn_close(u);
    } else {
        /*
         * Over keepalive, a connection is surplus: a burst needed more
         * connections than the pool keeps, and the next burst likely will
         * too.  Closed at once, each burst would connect them all anew
         * (and leave as many sockets in TIME_WAIT); kept for
         * keepalive_surplus_timeout, they serve it.  The most recent is
         * reused first, so a surplus connection that the load no longer
         * needs is the one that times out.
         */
        bool surplus = rt->nidle - rt->nsurplus >= u->upstream->keepalive;
        uint64_t idle = u->upstream->keepalive_timeout;
        if (surplus && u->upstream->keepalive_surplus_timeout == 0 && rt->nidle > 0) {
            /* No surplus kept: the least recently used connection makes room. */
            upconn_close(bn_list_data(bn_list_tail(&rt->idle), bn_upconn_t, link));
            surplus = false;
        } else if (surplus) {
            idle = BN_MIN(idle, u->upstream->keepalive_surplus_timeout);
        }
        bn_list_insert_head(&rt->idle, &u->link);
        rt->nidle++;
        rt->nsurplus += surplus;
        u->pooled = true;
        u->surplus = surplus;
        bn_count_peer(&u->upstream->peers[u->peer], BN_MV_PEER_IDLE, 1);
        bn_timer_set(&u->timer, idle);
    }
    if (!bn_list_empty(&rt->queue)) {
        /* Posted, not called: a release may come from inside a close, and
         * the queue's requests must not run there. */
        bn_event_post(&rt->dispatch);
    }
}

void
bn_upstream_close_idle(void)
{
    for (size_t i = 0; i < nrts; i++) {
        bn_list_t *last;
        while ((last = bn_list_tail(&rts[i].idle)) != NULL) {
            upconn_close(bn_list_data(last, bn_upconn_t, link));
        }
    }
}

/* The upstream's read and send timeouts, once connected (set_timers() in
 * http.c and cache_refresh.c arm it). */
static void
upstream_timeout(bn_timer_t *t)
{
    bn_request_t *r = t->data;

    r->client->log.action =
        r->rhead_done ? "reading upstream" : "reading response header from upstream";
    bn_upstream_peer_failed(r, BN_FAIL_TIMEOUT);
    if (!r->rhead_done && bn_upstream_retry(r, 504, "upstream timed out")) {
        return;
    }
    r->ops->failed(r, 504, "upstream timed out");
}

/* Connected, or given a pooled connection: the request's bytes may move. */
static void
upstream_ready(bn_request_t *r)
{
    r->state = BN_REQ_PROXYING;
    r->upstream_ready_msec = bn_current_msec;
    bn_timer_del(&r->up_timer);
    r->up_timer.handler = upstream_timeout;
    memcpy(r->upstream_addr, r->up->addr_text, sizeof(r->upstream_addr));
    r->ops->run(r);
}
