/*
 * cache_refresh.c: background refreshes of stale cache entries
 * (stale-while-revalidate, RFC 5861 3, and use_stale updating), as
 * Varnish's grace and nginx's proxy_cache_background_update: a request of
 * its own, with no client, fetches the key again while every client is
 * answered from the stale entry.  No client waits for it and none is
 * touched by it: the client whose request found the entry stale may close,
 * or send its next request, while the refresh is in flight.
 *
 * A refresh is a bn_request_t like any other, so the upstream side
 * (upstream.c: the balancer, the pool, retries, timeouts, passive health)
 * runs it unchanged and reports to it through its ops (refresh_ops).  It
 * owns its pool, which holds a copy of the triggering request's head and a
 * stand-in client that carries the log context: never on the worker's
 * list, no descriptor, no byte written to it.  The answer's body goes only
 * to the cache file, through the body pipe with no sink.  A refresh holds
 * the key's fill lock (one refresh per key) and ends by itself on every
 * path: stored, renewed by a 304, an answer that may not be stored, a
 * failure or a timeout of the upstream (one log line; the stale entry
 * stays and the next request that finds it tries again).  A quitting
 * worker waits for the refreshes in flight (bn_cache_refreshes()), within
 * the upstream's timeouts and shutdown_timeout.
 */
#include "cache_refresh.h"
#include "event.h"
#include "headers.h"
#include "pipe.h"
#include "upstream.h"
#include "worker_state.h"
#include "../common/clock.h"

#include <fcntl.h>

/* Holds the copied head, the response buffer and the request itself. */
#define REFRESH_POOL_BLOCK (64 * 1024)

static unsigned nrefreshes;
static int (*refresh_head)(bn_request_t *r);
static void (*refresh_finish)(bn_request_t *r, bool complete);

void
bn_cache_refresh_hooks(int (*head)(bn_request_t *r), void (*finish)(bn_request_t *r, bool complete))
{
    refresh_head = head;
    refresh_finish = finish;
}

unsigned
bn_cache_refreshes(void)
{
    return nrefreshes;
}

static void
refresh_log_context(const bn_log_t *log, bn_line_t *line)
{
    bn_request_t *r = log->data;

    bn_line_printf(line,
                   ", background cache refresh for client: %s, server: %s, request: \"%s %s\"",
                   r->peer_text, r->host ? r->host : "", r->method, r->target);
    if (r->upstream_addr[0] != '\0') {
        bn_line_printf(line, ", upstream: \"%s\"", r->upstream_addr);
    }
}

static void
destroy_pool(void *pool)
{
    bn_pool_destroy(pool);
}

/* A copy of s in pool (NULL stays NULL); *ok turns false when memory ran out. */
static char *
copy_str(bn_pool_t *pool, const char *s, bool *ok)
{
    char *d;

    if (s == NULL) {
        return NULL;
    }
    d = bn_pstrdup(pool, s);
    *ok = *ok && d != NULL;
    return d;
}

/* Copies n bytes of src into a buffer of pool for b; false when out of memory. */
static bool
copy_buf(bn_pool_t *pool, bn_buf_t *b, const char *src, size_t n)
{
    char *m = bn_palloc(pool, n + 1);

    if (m == NULL) {
        return false;
    }
    bn_buf_init(b, m, n + 1);
    memcpy(m, src, n);
    b->last = m + n;
    return true;
}

/* The refresh is over: its upstream connection, lock and temporary file go,
 * then its pool (once no handler of this batch of events can reach it). */
static void
refresh_end(bn_request_t *r, bool complete)
{
    BN_CHECK_OBJ(r, BN_REQUEST_MAGIC);
    bn_upstream_release(r, complete && r->up_keepalive && bn_buf_len(&r->rbuf) == 0);
    refresh_finish(r, complete);
    bn_timer_del(&r->up_timer);
    bn_pipe_release(&r->resp_pipe);
    r->client->req = NULL;
    r->magic = 0;
    nrefreshes--;
    bn_event_defer_free(destroy_pool, r->pool);
}

static void
refresh_failed(bn_request_t *r, int status, const char *why)
{
    BN_CHECK_OBJ(r, BN_REQUEST_MAGIC);
    r->client->log.action = NULL;
    if (r->upstream_status == 0) {
        r->upstream_status = status;
    }
    bn_log_error(BN_LOG_ERR, &r->client->log, 0, "%s; the stale cached response stays", why);
    refresh_end(r, false);
}

static void refresh_run(bn_request_t *r);

/* A refresh has no client to answer: a response of bouncer's own (never
 * asked for on its path) or an end just ends it, the entry as it was. */
static void
refresh_respond(bn_request_t *r, int status, const char *extra, const char *ctype,
                const char *body)
{
    refresh_failed(r, status, "the refresh was answered by bouncer itself");
}

static void
refresh_done(bn_request_t *r)
{
    refresh_failed(r, 502, "the refresh ended");
}

static const bn_request_ops_t refresh_ops = { refresh_run, refresh_failed,
                                              refresh_respond, refresh_done };

int
bn_cache_refresh_start(bn_request_t *r)
{
    bn_conf_t *conf = bn_heritage.conf;
    size_t rsize = BN_MAX(conf->limits.max_upstream_header_size, BN_BODY_BUF_SIZE);
    bn_pool_t *pool = bn_pool_create(REFRESH_POOL_BLOCK);
    bn_request_t *b = pool != NULL ? bn_pcalloc(pool, sizeof(*b)) : NULL;
    bn_client_t *c = b != NULL ? bn_pcalloc(pool, sizeof(*c)) : NULL;
    char *rbuf = c != NULL ? bn_palloc(pool, rsize) : NULL;
    bool ok = rbuf != NULL;

    if (ok) {
        b->head = r->head;
        b->head.headers = bn_palloc(pool, sizeof(bn_http_header_t) * (r->head.nheaders + 1));
        b->rhead.headers = bn_palloc(pool, sizeof(bn_http_header_t) * conf->limits.max_headers);
        b->cache.lines = bn_pstrndup(pool, r->cache.lines, r->cache.lines_len);
        ok = b->head.headers != NULL && b->rhead.headers != NULL && b->cache.lines != NULL
             && copy_buf(pool, &c->in, r->client->in.start, r->head.head_len)
             && copy_buf(pool, &b->out, r->out.start, r->out_len);
    }
    if (ok) {
        memcpy(b->head.headers, r->head.headers, sizeof(bn_http_header_t) * r->head.nheaders);
        b->method = copy_str(pool, r->method, &ok);
        b->target = copy_str(pool, r->target, &ok);
        b->path = copy_str(pool, r->path, &ok);
        b->host = copy_str(pool, r->host, &ok);
        b->authority = copy_str(pool, r->authority, &ok);
        b->request_uri = copy_str(pool, r->request_uri, &ok);
        b->remote_addr = copy_str(pool, r->remote_addr, &ok);
        b->cache.vary = copy_str(pool, r->cache.vary, &ok);
        b->cache.key_text = copy_str(pool, r->cache.key_text, &ok);
    }
    if (!ok) {
        if (pool != NULL) {
            bn_pool_destroy(pool);
        }
        bn_log_error(BN_LOG_CRIT, &r->client->log, 0,
                     "out of memory for a background cache refresh");
        return BN_ERROR;
    }

    /* The stand-in client: what the request's code reads of a client (its
     * head's bytes, its address, its log), and nothing more. */
    c->conn.io.fd = -1;
    c->state = BN_CLIENT_BUSY;
    c->peer = r->client->peer;
    c->listen = r->client->listen;
    c->tls_server = r->client->tls_server;
    c->log.conn = bn_worker_next_conn_id();
    c->log.handler = refresh_log_context;
    c->log.data = b;
    c->req = b;

    b->magic = BN_REQUEST_MAGIC;
    b->pool = pool;
    b->client = c;
    /* Its client is a stand-in no byte is ever written to or read from:
     * what the upstream reports goes to refresh_ops. */
    b->ops = &refresh_ops;
    b->state = BN_REQ_CONNECTING;
    memcpy(b->peer_text, r->peer_text, sizeof(b->peer_text));
    memcpy(b->request_id, r->request_id, sizeof(b->request_id));
    memcpy(b->captures, r->captures, sizeof(b->captures));
    b->ncaptures = r->ncaptures;
    b->peer_trusted = r->peer_trusted;
    b->version = r->version;
    b->server = r->server;
    b->route = r->route;
    b->upstream = r->upstream;
    b->req_header_lines = "";
    b->resp_header_lines = "";
    b->out_len = r->out_len;
    bn_pipe_init(&b->req_pipe, &b->body, BN_BODY_NONE, 0, false);
    bn_buf_init(&b->rbuf, rbuf, rsize);
    b->rhead.max_head = conf->limits.max_upstream_header_size;
    b->rhead.max_headers = conf->limits.max_headers;
    bn_http_head_init(&b->rhead, BN_HTTP_PARSE_RESPONSE);
    bn_pipe_init(&b->resp_pipe, &b->rbuf, BN_BODY_NONE, 0, false);
    b->up_timer.data = b;
    b->start_msec = bn_current_msec;
    b->upstream_start_msec = bn_current_msec;
    b->upstream_msec = -1;

    b->cache_status = "REFRESH";
    memcpy(b->cache.key, r->cache.key, sizeof(b->cache.key));
    memcpy(b->cache.base, r->cache.base, sizeof(b->cache.base));
    b->cache.lookup = true;
    /* A copy of r's descriptor of the stale file, which r goes on serving:
     * a 304 rewrites the entry from it, and tells it from a newer fill. */
    b->cache.fd = r->cache.fd != -1 ? fcntl(r->cache.fd, F_DUPFD_CLOEXEC, 0) : -1;
    b->cache.revalidating = r->cache.revalidating;
    b->cache.locked = true; /* r's lock, taken over */
    memcpy(b->cache.lock_key, r->cache.lock_key, sizeof(b->cache.lock_key));
    b->cache.lock_token = r->cache.lock_token;
    b->cache.meta = r->cache.meta;
    b->cache.stored_status = r->cache.stored_status;
    b->cache.lines_len = r->cache.lines_len;
    b->cache.body_len = r->cache.body_len;
    b->cache.body_at = r->cache.body_at;

    nrefreshes++;
    bn_log_debug(&c->log, "background cache refresh started");
    /* It may end before this returns (no server up): r is not b's concern. */
    bn_upstream_connect(b);
    return BN_OK;
}

/* The head of the answer is in: sets up its body and asks the cache what
 * becomes of it.  1 when the body is to be stored, BN_DONE when r ended. */
static int
head_arrived(bn_request_t *r)
{
    bn_http_head_t *h = &r->rhead;
    char why[64];
    int mode, rc;

    r->rhead_done = true;
    r->upstream_status = h->status;
    r->upstream_msec = (int64_t) (bn_current_msec - r->upstream_start_msec);
    if (h->status == 500 || h->status == 502 || h->status == 503 || h->status == 504) {
        bn_upstream_peer_failed(r, h->status == 500   ? BN_FAIL_HTTP_500
                                   : h->status == 502 ? BN_FAIL_HTTP_502
                                   : h->status == 503 ? BN_FAIL_HTTP_503
                                                      : BN_FAIL_HTTP_504);
    }
    mode = bn_http_body_mode(h, h->status == 204 || h->status == 304);
    r->up_keepalive =
        mode != BN_BODY_CLOSE && !h->conn_close && (h->version == 11 || h->conn_keepalive);
    r->rbuf.pos = r->rbuf.start + h->head_len;
    bn_pipe_init(&r->resp_pipe, &r->rbuf, mode, h->content_length, false);
    rc = refresh_head(r);
    if (rc == BN_OK) {
        return 1;
    }
    if (rc == BN_ERROR) {
        snprintf(why, sizeof(why), "upstream answered %d", h->status);
        refresh_failed(r, 502, why);
        return BN_DONE;
    }
    /* Renewed by a 304, or not to be stored: a body, if any, is not read. */
    refresh_end(r, rc == BN_DONE && mode == BN_BODY_NONE);
    return BN_DONE;
}

/* Reads and parses the answer's head: 1 after progress, 0 when blocked,
 * BN_DONE when r is no longer the caller's (ended, or sent again). */
static int
read_head(bn_request_t *r)
{
    bn_upconn_t *u = r->up;
    int progress = 0;

    for (;;) {
        int rc = bn_http_parse_head(&r->rhead, r->rbuf.start, bn_buf_len(&r->rbuf));
        const char *why;
        ssize_t n;

        if (rc == BN_OK && r->rhead.status == 101) {
            refresh_failed(r, 502, "upstream switched protocols unasked");
            return BN_DONE;
        }
        if (rc == BN_OK && r->rhead.status < 200) {
            /* An interim response: nobody to pass it to. */
            r->rbuf.pos = r->rbuf.start + r->rhead.head_len;
            bn_buf_compact(&r->rbuf);
            bn_http_head_init(&r->rhead, BN_HTTP_PARSE_RESPONSE);
            continue;
        }
        if (rc == BN_OK) {
            return head_arrived(r);
        }
        if (rc == BN_ERROR || bn_buf_room(&r->rbuf) == 0) {
            r->client->log.action = "reading response header from upstream";
            refresh_failed(r, 502,
                                    rc == BN_ERROR ? "upstream sent an invalid response head"
                                                   : "upstream sent too big a header");
            return BN_DONE;
        }
        n = bn_conn_recv(&u->conn, r->rbuf.last, bn_buf_room(&r->rbuf));
        if (n == BN_AGAIN) {
            return progress;
        }
        if (n > 0) {
            r->rbuf.last += n;
            progress = 1;
            continue;
        }
        why = n == 0 ? "upstream prematurely closed connection" : "upstream connection failed";
        r->client->log.action = "reading response header from upstream";
        if ((n == 0 || errno == ECONNRESET || errno == EPIPE) && bn_buf_len(&r->rbuf) == 0
            && u->reused && !r->stale_retried) {
            /* A pooled connection the upstream closed as we reused it: the
             * GET goes once more, on a fresh connection (as in http.c). */
            r->stale_retried = true;
            bn_upstream_reconnect(r);
            return BN_DONE;
        }
        bn_upstream_peer_failed(r, BN_FAIL_ERROR);
        if (bn_buf_len(&r->rbuf) == 0 && bn_upstream_retry(r, 502, why)) {
            return BN_DONE;
        }
        refresh_failed(r, 502, why);
        return BN_DONE;
    }
}

static void
refresh_run(bn_request_t *r)
{
    bn_upconn_t *u = r->up;
    bool any = false;
    const char *why = NULL;
    uint64_t t;
    int rc;

    BN_CHECK_OBJ(r, BN_REQUEST_MAGIC);
    if (u == NULL || r->state != BN_REQ_PROXYING) {
        return;
    }
    for (;;) {
        bool progress = false;

        if (bn_buf_len(&r->out) > 0) {
            ssize_t n = bn_conn_send_buf(&u->conn, &r->out, 0);
            if (n == BN_ERROR) {
                /* The upstream may still have answered: read it below. */
                r->out.pos = r->out.last;
            } else if (n > 0) {
                r->sent_any = true;
                progress = true;
            }
        }
        if (!r->rhead_done) {
            rc = read_head(r);
            if (rc == BN_DONE) {
                return;
            }
            progress |= rc > 0;
        }
        if (r->rhead_done) {
            rc = bn_pipe_run(&r->resp_pipe, &u->conn, NULL, &why);
            if (rc == BN_PIPE_SRC_ERROR) {
                r->client->log.action = "reading upstream";
                refresh_failed(r, 502, why);
                return;
            }
            if (r->resp_pipe.tee_failed || r->resp_pipe.done) {
                /* bn_cache_finish() logs a failed write and drops the copy. */
                refresh_end(r, r->resp_pipe.done);
                return;
            }
            progress |= rc > 0;
        }
        any |= progress;
        if (!progress) {
            break;
        }
    }
    /* The upstream's timeouts, as for any request (upstream.c set the
     * handler when the connection was ready). */
    if (bn_buf_len(&r->out) > 0) {
        t = r->route->send_timeout ? r->route->send_timeout : r->upstream->send_timeout;
    } else {
        t = r->route->read_timeout ? r->route->read_timeout : r->upstream->read_timeout;
    }
    if (any || !bn_timer_armed(&r->up_timer)) {
        bn_timer_set(&r->up_timer, t);
    }
}
