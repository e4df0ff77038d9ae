/*
 * http.c: the client side of a worker: reading request heads, routing,
 * building the upstream request, and moving both bodies until the exchange
 * ends; then keep-alive, the next pipelined request, or close.
 *
 * Nothing here blocks: every function runs until a socket says EAGAIN and
 * returns; the next readiness event calls it again (see types.h).
 */
#include "http.h"
#include "access_log.h"
#include "count.h"
#include "cache.h"
#include "event.h"
#include "headers.h"
#include "http2.h"
#include "phase.h"
#include "pipe.h"
#include "request.h"
#include "route.h"
#include "spares.h"
#include "tls.h"
#include "tunnel.h"
#include "upstream.h"
#include "variables.h"
#include "worker_state.h"
#include "../common/str.h"
#include "../common/clock.h"

#include <stddef.h>
#include <sys/mman.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>

static int start_request(bn_client_t *c);
/* Moves what can move of r, on any event of its client or upstream. */
static void request_run(bn_request_t *r);
/* A response of bouncer's own: status, extra header lines (each with its
 * CRLF), Content-Type and body, or NULL for the status page. */
static void respond(bn_request_t *r, int status, const char *extra, const char *ctype,
                    const char *body);
/* r's upstream could not be had, or broke, with this status. */
static void upstream_failed(bn_request_t *r, int status, const char *why);
/* Ends r's tunnel or exchange: access log, both connections closed. */
static void finish_closing(bn_request_t *r);
static void finalize_request(bn_request_t *r);
static void free_request(bn_request_t *r);
static void client_timeout(bn_timer_t *t);
static void read_head(bn_client_t *c);
static void linger(bn_client_t *c);
static void handshake(bn_client_t *c);
static void start_lingering(bn_client_t *c);
/* What http2.c asks of this file (its streams' stand-in clients). */
static const bn_h2_owner_t h2_owner;

static bn_list_t clients = BN_LIST_INIT(clients); /* this worker's open client connections */

/* ---- log context ------------------------------------------------------------- */

/*
 * ", client: A, server: H, request: "M T HTTP/1.x", upstream: "U"", with
 * each part only when it is known: a head refused in its target shows the
 * method alone, one refused in its version (not HTTP/1.x) no version; the
 * message says why.  A request without a Host has no server.
 */
static void
client_log_context(const bn_log_t *log, bn_line_t *line)
{
    bn_client_t *c = log->data;
    bn_request_t *r = c->req;

    if (r == NULL) {
        char text[INET6_ADDRSTRLEN];
        bn_line_printf(line, ", client: %s", bn_sockaddr_host(&c->peer.sa, text, sizeof(text)));
        return;
    }
    bn_line_printf(line, ", client: %s", r->peer_text);
    if (r->host != NULL && r->host[0] != '\0') {
        bn_line_printf(line, ", server: %s", r->host);
    }
    if (r->method != NULL && r->target != NULL) {
        if (r->version == 20) {
            bn_line_printf(line, ", request: \"%s %s HTTP/2.0\", stream: %u", r->method, r->target,
                           c->h2_id);
        } else if (r->head.version != 0) {
            bn_line_printf(line, ", request: \"%s %s HTTP/1.%d\"", r->method, r->target,
                           r->version == 10 ? 0 : 1);
        } else {
            bn_line_printf(line, ", request: \"%s %s\"", r->method, r->target);
        }
    } else if (r->method != NULL) {
        bn_line_printf(line, ", request: \"%s\"", r->method);
    }
    if (r->up != NULL || r->upstream_addr[0] != '\0') {
        bn_line_printf(line, ", upstream: \"%s\"", r->upstream_addr);
    }
}

/* Why a request head was refused, for the log: the parser's reason, but
 * for the HTTP/2 connection preface (RFC 9113 3.4), which is no HTTP/1.x
 * request and should say what the client tried. */
static const char *
invalid_request_reason(const bn_request_t *r)
{
    if (r->method != NULL && strcmp(r->method, "PRI") == 0 && r->target != NULL
        && strcmp(r->target, "*") == 0 && r->head.version == 0) {
        return "an HTTP/2 connection preface (HTTP/2 is not supported on this listener)";
    }
    return r->head.reason;
}

/* ---- client connections ----------------------------------------------------------- */

/*
 * A new TLS connection's first handshake step (key exchange and signature,
 * some 300 us of CPU) waits in a queue, and each pass of the event loop runs
 * a few of them after the events of the connections already open.  So a
 * burst of new connections cannot hold back requests on open ones for more
 * than a few handshakes, however many were accepted at once (make bench
 * tlsclose measures the tail).  While any wait, the loop polls without
 * sleeping.  A full queue hands the handshake back to the caller.
 */
#define HS_QUEUE_MAX 256
#define HS_PER_PASS 2

static bn_client_t *hs_queue[HS_QUEUE_MAX];
static unsigned hs_head, hs_len;

static void
hs_enqueue(bn_client_t *c)
{
    if (hs_len == HS_QUEUE_MAX) {
        c->state = BN_CLIENT_HANDSHAKE;
        handshake(c);
        return;
    }
    c->state = BN_CLIENT_HS_QUEUED;
    hs_queue[(hs_head + hs_len++) % HS_QUEUE_MAX] = c;
}

/* A queued connection closed (timeout, shutdown): its slot is skipped. */
static void
hs_forget(bn_client_t *c)
{
    for (unsigned i = 0; i < hs_len; i++) {
        if (hs_queue[(hs_head + i) % HS_QUEUE_MAX] == c) {
            hs_queue[(hs_head + i) % HS_QUEUE_MAX] = NULL;
        }
    }
}

bool
bn_http_run_handshakes(void)
{
    for (unsigned done = 0; hs_len > 0 && done < HS_PER_PASS;) {
        bn_client_t *c = hs_queue[hs_head];
        hs_head = (hs_head + 1) % HS_QUEUE_MAX;
        hs_len--;
        if (c != NULL) {
            c->state = BN_CLIENT_HANDSHAKE;
            handshake(c);
            done++;
        }
    }
    return hs_len > 0;
}

void
bn_http_init_client(bn_client_t *c)
{
    bn_conf_t *conf = bn_heritage.conf;

    c->magic = BN_CLIENT_MAGIC;
    c->conn.io.handler = bn_http_client_event;
    c->conn.readable = true; /* TCP_DEFER_ACCEPT aside, data may be waiting */
    c->conn.writable = true;
    c->log.conn = bn_worker_next_conn_id();
    c->log.handler = client_log_context;
    c->log.data = c;
    c->timer.handler = client_timeout;
    c->timer.data = c;
    c->state = BN_CLIENT_READING;
    bn_list_insert_head(&clients, &c->link);
    bn_count_client(c, 1);
    if (c->listen->tls) {
        if (bn_tls_accept(c) != BN_OK) {
            bn_http_close_client(c);
            return;
        }
        bn_timer_set(&c->timer, conf->limits.tls_handshake_timeout);
        hs_enqueue(c);
        return;
    }
    bn_timer_set(&c->timer, conf->limits.header_timeout);
    read_head(c);
}

/*
 * Plain HTTP sent to a TLS port: a 400 in plain text that says so (as
 * nginx does), so that whoever typed http:// for https:// learns why, then
 * the lingering close that lets it arrive.  No TLS is spoken on it.
 */
static void
refuse_plain_http(bn_client_t *c)
{
    static const char body[] =
        "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>"
        "\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP "
        "request was sent to HTTPS port</center>\r\n<hr><center>bouncer</center>\r\n</body>"
        "\r\n</html>\r\n";
    char head[256];
    struct iovec iov[2];
    int n;

    bn_log_error(BN_LOG_INFO, &c->log, 0, "client sent a plain HTTP request to a TLS port");
    bn_tls_close(&c->conn);
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 400 Bad Request\r\nServer: bouncer\r\nDate: %s\r\n"
                 "Content-Type: text/html\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                 bn_time_http(), sizeof(body) - 1);
    iov[0] = (struct iovec) { .iov_base = head, .iov_len = (size_t) BN_MIN(n, (int) sizeof(head)) };
    iov[1] = (struct iovec) { .iov_base = (char *) body, .iov_len = sizeof(body) - 1 };
    /* A new socket's buffer holds the page; a client that left it full
     * loses only this answer. */
    bn_conn_sendv(&c->conn, iov, 2, 0);
    start_lingering(c);
}

/* Whether the handshake chose h2 (the block's http2 let ALPN offer it). */
static bool
alpn_h2(const bn_client_t *c)
{
    const unsigned char *p;
    unsigned len;

    SSL_get0_alpn_selected(c->conn.ssl, &p, &len);
    return len == 2 && memcmp(p, "h2", 2) == 0;
}

static void
handshake(bn_client_t *c)
{
    int rc = bn_tls_handshake(c);

    if (rc == BN_AGAIN) {
        return;
    }
    if (rc == BN_DECLINED) {
        refuse_plain_http(c);
        return;
    }
    if (rc != BN_OK) {
        bn_http_close_client(c);
        return;
    }
    bn_count_handshake(c, bn_tls_protocol(&c->conn), bn_tls_resumed(&c->conn));
    if (alpn_h2(c)) {
        bn_h2_start(c, &h2_owner);
        return;
    }
    c->state = BN_CLIENT_READING;
    bn_timer_set(&c->timer, bn_heritage.conf->limits.header_timeout);
    read_head(c);
}

static void
destroy_pool(void *pool)
{
    bn_pool_destroy(pool);
}

/* Request pools and head buffers are kept for the next request (spares.c). */
static bn_spares_t head_bufs = { .destroy = free };
static bn_spares_t request_pools = { .destroy = destroy_pool };

/*
 * A client's buffer holds a request head of up to max_header_size and, after
 * it, room for the body to stream through: at least BODY_ROOM however large
 * the head, since the head's bytes stay put while the body moves.
 */
#define BODY_ROOM (4 * 1024)
#define HEAD_BUF_SIZE(conf) ((conf)->limits.max_header_size + BODY_ROOM)

static char *
head_buf_get(size_t size)
{
    char *b = bn_spare_get(&head_bufs);

    return b != NULL ? b : malloc(size);
}

static void
head_buf_put(char *b)
{
    if (b != NULL) {
        bn_spare_put(&head_bufs, b);
    }
}

/*
 * Client connections come from blocks of their own rather than from malloc:
 * an open connection then costs sizeof(bn_client_t) and no more, and a
 * burst's buffers, freed between long-lived connections, leave whole pages
 * for malloc_trim() to give back.  Blocks are kept for the worker's life,
 * as nginx keeps its connection array, and reused through a free list.
 * With --with-debug-alloc (and so under ASan) each is its own calloc.
 */
#define CLIENT_BLOCK (64 * 1024)

#ifndef BN_DEBUG_ALLOC
static bn_list_t free_clients = BN_LIST_INIT(free_clients); /* through ->link */
static char *client_carve, *client_carve_end;
#endif

bn_client_t *
bn_http_client_alloc(void)
{
    bn_client_t *c;

#ifdef BN_DEBUG_ALLOC
    c = calloc(1, sizeof(*c));
#else
    if (!bn_list_empty(&free_clients)) {
        c = bn_list_data(bn_list_head(&free_clients), bn_client_t, link);
        bn_list_remove(&c->link);
    } else {
        if (client_carve_end - client_carve < (ptrdiff_t) sizeof(*c)) {
            char *b = mmap(NULL, CLIENT_BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
            if (b == MAP_FAILED) {
                return NULL;
            }
            client_carve = b;
            client_carve_end = b + CLIENT_BLOCK;
        }
        c = (bn_client_t *) (void *) client_carve;
        client_carve += sizeof(*c);
    }
    memset(c, 0, sizeof(*c));
#endif
    return c;
}

void
bn_http_client_free(bn_client_t *c)
{
    c->magic = 0;
#ifdef BN_DEBUG_ALLOC
    free(c);
#else
    bn_list_insert_head(&free_clients, &c->link);
#endif
}

static void
client_free(void *data)
{
    bn_client_t *c = data;

    head_buf_put(c->in.start);
    bn_http_client_free(c);
}

void
bn_http_close_client(bn_client_t *c)
{
    BN_CHECK_OBJ(c, BN_CLIENT_MAGIC);
    if (c->conn.io.closed) {
        return;
    }
    if (c->req != NULL) {
        free_request(c->req);
    }
    if (c->h2_stream) {
        /* A stream's stand-in: no socket, no count of its own. */
        bn_timer_del(&c->timer);
        if (c->conn.stream != NULL) {
            bn_h2_stream_detach(c, false);
        }
        c->conn.io.closed = true;
        bn_event_defer_free(client_free, c);
        return;
    }
    if (c->h2 != NULL) {
        bn_h2_close(c);
    }
    if (c->state == BN_CLIENT_HS_QUEUED) {
        hs_forget(c);
    }
    bn_timer_del(&c->timer);
    /* No EPOLL_CTL_DEL: the socket is this process's alone, and close()
     * takes it out of the interest set (a syscall less per connection). */
    bn_tls_close(&c->conn);
    free(c->client_subject);
    c->client_subject = NULL;
    if (c->conn.unpushed) {
        shutdown(c->conn.io.fd, SHUT_WR);
    }
    close(c->conn.io.fd);
    c->conn.io.fd = -1;
    c->conn.io.closed = true;
    bn_worker_conn_count--;
    bn_count_client(c, -1);
    bn_list_remove(&c->link);
    bn_event_defer_free(client_free, c);
}

/*
 * Graceful quit or reload, once shutdown_timeout has passed.  Until then
 * idle keep-alive connections are kept: closing one races a request the
 * client may be sending, which would be lost (a client that does not retry
 * sees EOF); its next request is answered with "Connection: close" instead.
 * Now what is left goes, requests in progress too; only WebSocket tunnels
 * stay, up to their own drain deadline (tunnel.c).
 */
void
bn_http_close_all_but_tunnels(void)
{
    bn_list_t *it, *next;

    bn_list_foreach (&clients, it, next) {
        bn_client_t *c = bn_list_data(it, bn_client_t, link);
        if (c->req == NULL || c->req->state != BN_REQ_TUNNEL) {
            bn_http_close_client(c);
        }
    }
}

bool
bn_http_have_clients(void)
{
    return !bn_list_empty(&clients);
}

void
bn_http_client_event(bn_io_t *io, uint32_t events)
{
    bn_client_t *c = (bn_client_t *) io;

    BN_CHECK_OBJ(c, BN_CLIENT_MAGIC);
    bn_conn_ready(&c->conn, events);
    switch (c->state) {
    case BN_CLIENT_HANDSHAKE:
        handshake(c);
        break;
    case BN_CLIENT_HS_QUEUED:
        break; /* readiness is noted; its turn comes in bn_http_run_handshakes() */
    case BN_CLIENT_READING:
    case BN_CLIENT_IDLE:
        read_head(c);
        break;
    case BN_CLIENT_BUSY:
        request_run(c->req);
        break;
    case BN_CLIENT_LINGERING:
        linger(c);
        break;
    case BN_CLIENT_H2:
        bn_h2_event(c);
        break;
    }
}


/* The end of a request, whatever ended it: its access log line and what it
 * adds to the metrics. */
static void
request_ended(bn_request_t *r)
{
    bn_count_request(r);
    bn_access_log_write(r);
}

static void
client_timeout(bn_timer_t *t)
{
    bn_client_t *c = t->data;
    bn_request_t *r = c->req;

    switch (c->state) {
    case BN_CLIENT_HANDSHAKE:
    case BN_CLIENT_HS_QUEUED:
        bn_log_error(BN_LOG_INFO, &c->log, 0, "TLS handshake timed out");
        bn_http_close_client(c);
        return;
    case BN_CLIENT_IDLE:
    case BN_CLIENT_LINGERING:
        bn_http_close_client(c);
        return;
    case BN_CLIENT_H2:
        bn_h2_timeout(c);
        return;
    case BN_CLIENT_READING:
        if (bn_buf_len(&c->in) == 0) {
            bn_http_close_client(c);
            return;
        }
        bn_log_error(BN_LOG_INFO, &c->log, 0, "client timed out sending the request head");
        start_request(c); /* with the head incomplete it answers 408 */
        return;
    case BN_CLIENT_BUSY:
        break;
    }
    if (!r->resp_started && r->state != BN_REQ_RESPONDING && !r->req_pipe.in_done) {
        bn_log_error(BN_LOG_INFO, &c->log, 0, "client timed out sending the request body");
        if (r->up != NULL) {
            bn_upstream_release(r, false);
        }
        r->keepalive = false;
        respond(r, 408, NULL, NULL, NULL);
        return;
    }
    bn_log_error(BN_LOG_INFO, &c->log, 0, "client timed out reading the response");
    if (!r->resp_started) {
        r->status = 408;
    }
    request_ended(r);
    bn_http_close_client(c);
}

/* After an early error: read and drop what the client still sends, so it
 * sees the response instead of a reset, until EOF or lingering_timeout. */
static void
linger(bn_client_t *c)
{
    char sink[4096];
    ssize_t n;

    for (;;) {
        n = bn_conn_recv(&c->conn, sink, sizeof(sink));
        if (n == BN_AGAIN) {
            return;
        }
        if (n <= 0) {
            bn_http_close_client(c);
            return;
        }
    }
}

static void
start_lingering(bn_client_t *c)
{
    c->state = BN_CLIENT_LINGERING;
    shutdown(c->conn.io.fd, SHUT_WR);
    bn_timer_set(&c->timer, bn_heritage.conf->limits.lingering_timeout);
    linger(c);
}

/*
 * On a listener with http2_cleartext, a connection's first bytes may be
 * the HTTP/2 preface (prior knowledge, RFC 9113 3.3): 1 when c->in begins
 * with it, 0 while what came is the start of it, -1 when it is HTTP/1.x.
 */
static int
h2c_preface(const bn_client_t *c)
{
    size_t n = bn_buf_len(&c->in);

    if (!c->listen->h2c || c->nrequests > 0 || c->h2_stream) {
        return -1;
    }
    if (memcmp(c->in.pos, BN_H2_PREFACE, BN_MIN(n, BN_H2_PREFACE_LEN)) != 0) {
        return -1;
    }
    return n >= BN_H2_PREFACE_LEN ? 1 : 0;
}

static void
read_head(bn_client_t *c)
{
    bn_conf_t *conf = bn_heritage.conf;
    ssize_t n;

    if (c->in.start == NULL) {
        char *m;
        if (!c->conn.readable) {
            return; /* an idle connection holds no buffer until bytes come */
        }
        m = head_buf_get(HEAD_BUF_SIZE(conf));
        if (m == NULL) {
            bn_log_error(BN_LOG_CRIT, &c->log, 0, "out of memory for a request buffer");
            bn_http_close_client(c);
            return;
        }
        bn_buf_init(&c->in, m, HEAD_BUF_SIZE(conf));
    }
    for (;;) {
        if (bn_buf_len(&c->in) > 0) {
            int h2c = h2c_preface(c);
            if (h2c > 0) {
                bn_h2_start(c, &h2_owner);
                return;
            }
            if (c->state == BN_CLIENT_IDLE) {
                c->state = BN_CLIENT_READING;
                bn_timer_set(&c->timer, conf->limits.header_timeout);
            }
            if (h2c < 0 && start_request(c) != BN_AGAIN) {
                return;
            }
        }
        n = bn_conn_recv(&c->conn, c->in.last, bn_buf_room(&c->in));
        if (n == BN_AGAIN) {
            if (bn_buf_len(&c->in) == 0) {
                head_buf_put(c->in.start);
                memset(&c->in, 0, sizeof(c->in));
            }
            return;
        }
        if (n <= 0) {
            if (n == BN_ERROR && errno != ECONNRESET) {
                bn_log_error(BN_LOG_INFO, &c->log, errno, "recv() failed");
            }
            bn_http_close_client(c);
            return;
        }
        c->in.last += n;
    }
}

/* ---- requests --------------------------------------------------------------------- */

/* A request's buffers (upstream read 32 KiB, response head 17 KiB) fit in
 * the first block of its pool. */
#define REQUEST_POOL_BLOCK (64 * 1024)

static bn_pool_t *
request_pool_get(void)
{
    bn_pool_t *pool = bn_spare_get(&request_pools);

    return pool != NULL ? pool : bn_pool_create(REQUEST_POOL_BLOCK);
}

static void
request_pool_put(bn_pool_t *pool)
{
    bn_pool_reset(pool);
    bn_spare_put(&request_pools, pool);
}

/* A client's request hears from the upstream and the cache here. */
static const bn_request_ops_t client_ops = { request_run, upstream_failed,
                                             respond, finish_closing };

/*
 * Fills a new request r of client c, allocated in pool, for its head to be
 * parsed (bn_http_parse_head()) with the configured limits.  BN_ERROR when
 * memory runs out.  `bouncer explain` makes its requests this way too.
 */
int
bn_http_request_init(bn_request_t *r, bn_client_t *c, bn_pool_t *pool)
{
    bn_conf_t *conf = bn_heritage.conf;

    r->magic = BN_REQUEST_MAGIC;
    r->pool = pool;
    r->client = c;
    bn_sockaddr_host(&c->peer.sa, r->peer_text, sizeof(r->peer_text));
    r->start_msec = bn_current_msec;
    r->upstream_msec = -1;
    r->ops = &client_ops;
    r->up_timer.data = r;
    r->head.max_head = conf->limits.max_header_size;
    r->head.max_uri = conf->limits.max_uri_size;
    r->head.max_headers = conf->limits.max_headers;
    r->head.headers = bn_palloc(pool, sizeof(bn_http_header_t) * conf->limits.max_headers);
    if (r->head.headers == NULL) {
        return BN_ERROR;
    }
    bn_http_head_init(&r->head, BN_HTTP_PARSE_REQUEST);
    return BN_OK;
}

static bn_request_t *
new_request(bn_client_t *c)
{
    bn_pool_t *pool = request_pool_get();
    bn_request_t *r;

    if (pool == NULL) {
        return NULL;
    }
    r = bn_pcalloc(pool, sizeof(*r));
    if (r == NULL || bn_http_request_init(r, c, pool) != BN_OK) {
        request_pool_put(pool);
        return NULL;
    }
    c->req = r;
    return r;
}

static void
free_request(bn_request_t *r)
{
    bn_client_t *c = r->client;

    BN_CHECK_OBJ(r, BN_REQUEST_MAGIC);
    bn_upstream_release(r, false);
    if (r->cache_status != NULL) {
        bn_cache_finish(r, false); /* ended before its response did */
    }
    bn_timer_del(&r->up_timer);
    bn_event_unpost(&r->wake);
    bn_pipe_release(&r->resp_pipe);
    c->req = NULL;
    r->magic = 0;
    request_pool_put(r->pool);
}

static char *
head_str(bn_request_t *r, uint32_t off, uint32_t len)
{
    return bn_pstrndup(r->pool, r->client->in.start + off, len);
}

/*
 * What a parsed head r->head (over r->client->in) says the request is: its
 * keep-alive, Host, the target in origin-form and the path normalised for
 * routing (r->method and r->target are set).  BN_OK, or 400 with *why the
 * line to log.  `bouncer explain` runs it on the request it is asked about.
 */
int
bn_http_request_parsed(bn_request_t *r, const char **why)
{
    bn_client_t *c = r->client;
    const char *q;
    int rc;

    r->head_method = strcmp(r->method, "HEAD") == 0;
    r->keepalive = r->version == 11 ? !r->head.conn_close : r->head.conn_keepalive;
    r->user_agent = bn_http_header(r, "user-agent");
    r->referer = bn_http_header(r, "referer");

    rc = bn_route_absolute_form(r);
    if (rc == BN_ERROR) {
        *why = "client sent an invalid absolute-form request-target";
        return 400;
    }
    r->request_uri = r->target;
    if (rc == BN_DECLINED && r->head.host >= 0) {
        bn_http_header_t *h = &r->head.headers[r->head.host];
        r->host = bn_route_host(r, c->in.start + h->value, h->value_len);
        if (r->host == NULL) {
            *why = "client sent an invalid Host header";
            return 400;
        }
        if (r->host[0] == '\0') {
            r->host = NULL; /* "Host:" with no value names no server: as if absent */
        }
    }
    if (r->target[0] != '/') {
        *why = "client sent an unsupported request-target";
        return 400;
    }
    q = strchr(r->target, '?');
    r->path = q ? bn_pstrndup(r->pool, r->target, (size_t) (q - r->target)) : r->target;
    if (r->path == NULL || bn_route_normalize(r) != BN_OK) {
        *why = "client sent an invalid path";
        return 400;
    }
    return BN_OK;
}

/*
 * Parses what the client buffer holds and, once the head is whole, starts
 * the request.  Returns BN_AGAIN when the head is not complete yet (read
 * more and call again), else BN_OK: the request runs, or was answered.
 */
static int
start_request(bn_client_t *c)
{
    bn_request_t *r = c->req;
    const char *why;
    int rc;

    if (r == NULL && (r = new_request(c)) == NULL) {
        bn_log_error(BN_LOG_CRIT, &c->log, 0, "out of memory for a request");
        bn_http_close_client(c);
        return BN_OK;
    }
    rc = bn_http_parse_head(&r->head, c->in.start, (size_t) (c->in.last - c->in.start));
    if (rc == BN_AGAIN) {
        if (bn_buf_room(&c->in) == 0 || c->head_cut) {
            r->head.error = 431;
            r->head.reason = "request head too large";
            rc = BN_ERROR;
        } else if (bn_timer_armed(&c->timer)) {
            return BN_AGAIN;
        } else {
            /* client_timeout() got here: the head never completed. */
            r->head.error = 408;
            r->head.reason = "request head timed out";
            rc = BN_ERROR;
        }
    }
    c->state = BN_CLIENT_BUSY;
    c->nrequests++;
    bn_timer_del(&c->timer);
    r->keepalive = false;
    if (r->head.method_len > 0) {
        r->method = head_str(r, r->head.method, r->head.method_len);
    }
    if (r->head.target_len > 0) {
        r->target = head_str(r, r->head.target, r->head.target_len);
    }
    r->version = c->h2_stream ? 20 : r->head.version ? r->head.version : 11;
    r->head_msec = bn_current_msec;
    if (rc == BN_ERROR) {
        if (r->head.error != 408) {
            bn_log_error(BN_LOG_INFO, &c->log, 0, "client sent an invalid request: %s",
                         invalid_request_reason(r));
        }
        respond(r, r->head.error, NULL, NULL, NULL);
        return BN_OK;
    }

    rc = bn_http_request_parsed(r, &why);
    if (rc != BN_OK) {
        bn_log_error(BN_LOG_INFO, &c->log, 0, "%s", why);
        respond(r, rc, NULL, NULL, NULL);
        return BN_OK;
    }

    /* The head is parsed; what the request needs of it stays at its offsets
     * until the request ends.  The body has the rest of the buffer. */
    c->in.pos = c->in.start + r->head.head_len;
    bn_buf_init(&r->body, c->in.pos, (size_t) (c->in.end - c->in.pos));
    r->body.last = c->in.last;
    if (r->head.chunked) {
        bn_pipe_init(&r->req_pipe, &r->body, BN_BODY_CHUNKED, 0, true);
    } else if (r->head.content_length > 0) {
        bn_pipe_init(&r->req_pipe, &r->body, BN_BODY_LENGTH, r->head.content_length, false);
        /* A body that came whole with its head stays in the buffer until
         * the request ends: it can be sent again if a pooled upstream
         * connection turns out dead. */
        r->body_replayable = (int64_t) bn_buf_len(&r->body) >= r->head.content_length;
    } else {
        bn_pipe_init(&r->req_pipe, &r->body, BN_BODY_NONE, 0, false);
    }

    r->state = BN_REQ_PHASES;
    r->phase = BN_PHASE_SERVER;
    bn_phase_run(r);
    return BN_OK;
}


/* ---- responses made by bouncer ------------------------------------------------------ */

/* The statuses a route's response_headers go on when bouncer answers
 * itself (a respond or redirect route), as on nginx's add_header: not on
 * its error pages, which say nothing of the route. */
static bool
added_to(int status)
{
    return status == 200 || status == 201 || status == 204 || status == 206 || status == 301
           || status == 302 || status == 303 || status == 304 || status == 307 || status == 308;
}

static void
respond(bn_request_t *r, int status, const char *extra, const char *ctype, const char *body)
{
    bn_client_t *c = r->client;
    const bn_conf_headers_t *rh = NULL;
    const char *own = "";
    char page[512];
    size_t blen, size;
    char *m;

    bn_upstream_release(r, false);
    bn_timer_del(&r->up_timer);
    if (r->cache.store) {
        bn_cache_finish(r, false); /* this answer replaces the one being stored */
    }
    if (body == NULL) {
        if (status >= 400 || status < 200) {
            /* Bouncer's own page: the status and nothing about the backends. */
            snprintf(page, sizeof(page),
                     "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d "
                     "%s</h1></center>\r\n<hr><center>bouncer</center>\r\n</body>\r\n</html>\r\n",
                     status, bn_http_status_reason(status), status, bn_http_status_reason(status));
            body = page;
            ctype = "text/html";
        } else {
            body = "";
        }
    }
    blen = strlen(body);
    if (!r->req_pipe.in_done) {
        /* The rest of the body is unread: this connection cannot go on. */
        r->keepalive = false;
    }
    if (status == 400 || status == 408 || status == 413 || status == 414 || status == 431
        || status == 501 || status == 505) {
        /* The client's framing is in doubt: read nothing more as a request. */
        r->keepalive = false;
    }
    if (bn_worker_quitting || c->nrequests >= bn_heritage.conf->limits.keepalive_requests) {
        r->keepalive = false;
    }
    if (r->route != NULL && added_to(status)) {
        /* The route's response_headers, as on its proxied answers. */
        rh = &r->route->response_headers;
        own = bn_http_header_lines(r, rh);
        if (own == NULL) {
            bn_http_close_client(c);
            return;
        }
    }
    if (rh != NULL && ctype != NULL && bn_http_header_in_set("content-type", 12, rh)) {
        ctype = NULL;
    }
    size = 512 + (extra ? strlen(extra) : 0) + (ctype ? strlen(ctype) : 0) + blen
           + (bn_http_hsts(r) ? strlen(bn_http_hsts(r)) : 0) + sizeof(r->request_id) + strlen(own);
    if (r->rout.start == NULL || bn_buf_room(&r->rout) < size) {
        m = bn_palloc(r->pool, size);
        if (m == NULL) {
            bn_http_close_client(c);
            return;
        }
        bn_buf_init(&r->rout, m, size);
    }
    r->status = status;
    bn_buf_printf(&r->rout, "HTTP/1.1 %d %s\r\n%sDate: %s\r\nX-Request-Id: %s\r\n%s", status,
                  bn_http_status_reason(status),
                  rh != NULL && bn_http_header_in_set("server", 6, rh) ? "" : "Server: bouncer\r\n",
                  bn_time_http(), bn_request_id(r), own);
    if (ctype != NULL && (blen > 0 || status == 200)) {
        bn_buf_printf(&r->rout, "Content-Type: %s\r\n", ctype);
    }
    if (bn_http_hsts(r) != NULL) {
        bn_buf_printf(&r->rout, "Strict-Transport-Security: %s\r\n", bn_http_hsts(r));
    }
    bn_buf_printf(&r->rout, "Content-Length: %zu\r\n%s%s\r\n", blen, extra ? extra : "",
                  r->keepalive ? (r->version == 10 ? "Connection: keep-alive\r\n" : "")
                               : "Connection: close\r\n");
    if (!(r->head_method && r->head.method_len > 0)) {
        bn_buf_append(&r->rout, body, blen);
    }
    r->state = BN_REQ_RESPONDING;
    r->resp_started = true;
    bn_pipe_init(&r->resp_pipe, NULL, BN_BODY_NONE, 0, false);
    c->state = BN_CLIENT_BUSY;
    request_run(r);
}

/* ---- the upstream side --------------------------------------------------------------- */

static void
upstream_failed(bn_request_t *r, int status, const char *why)
{
    bn_client_t *c = r->client;

    c->log.action = NULL;
    bn_log_error(BN_LOG_ERR, &c->log, 0, "%s", why);
    if (r->upstream_status == 0) {
        r->upstream_status = status;
    }
    r->upstream_msec = (int64_t) (bn_current_msec - r->upstream_start_msec);
    if (bn_cache_stale_on_failure(r, status)) {
        request_run(r);
        return;
    }
    if (r->resp_started && r->resp_pipe.bytes_out == 0 && r->rhead_done) {
        /* The head was made but not one byte of it sent: the client can
         * still have an honest 502 instead of a cut response. */
        r->rout.pos = r->rout.last = r->rout.start;
        r->resp_started = false;
    }
    if (r->resp_started) {
        request_ended(r);
        bn_http_close_client(c);
        return;
    }
    respond(r, status, NULL, NULL, NULL);
}

static void
finish_closing(bn_request_t *r)
{
    bn_client_t *c = r->client;

    if (r->state == BN_REQ_TUNNEL) {
        bn_log_error(BN_LOG_INFO, &c->log, 0,
                     "websocket tunnel closed after %" PRIu64 "ms: %" PRIu64
                     " bytes from the client, %" PRIu64 " bytes to it",
                     bn_current_msec - r->start_msec, r->bytes_received, r->bytes_sent);
    }
    request_ended(r);
    bn_http_close_client(c);
}

static uint64_t
route_timeout(uint64_t route, uint64_t upstream)
{
    return route != 0 ? route : upstream;
}

/* Reads and parses the upstream's response head.  Returns 1 after progress,
 * 0 when blocked, or BN_ERROR after answering the client. */
static int
read_response_head(bn_request_t *r)
{
    bn_upconn_t *u = r->up;
    ssize_t n;
    int rc, progress = 0;

    for (;;) {
        rc = bn_http_parse_head(&r->rhead, r->rbuf.start, bn_buf_len(&r->rbuf));
        if (rc == BN_OK && r->rhead.status >= 100 && r->rhead.status < 200) {
            if (r->rhead.status == 101 && r->websocket && !bn_http_websocket_accepted(r)) {
                /* No tunnel past the routes on a backend's word alone; and
                 * the client, which may already send frames, is closed. */
                r->up_keepalive = false;
                r->keepalive = false;
                upstream_failed(r, 502, "upstream sent 101 without a valid WebSocket handshake");
                return BN_ERROR;
            }
            if (r->rhead.status == 101 && r->websocket) {
                r->rhead_done = true;
                r->resp_started = true;
                r->upstream_msec = (int64_t) (bn_current_msec - r->upstream_start_msec);
                if (bn_http_build_switch_head(r) != BN_OK) {
                    upstream_failed(r, 502, "upstream response head too large");
                    return BN_ERROR;
                }
                bn_tunnel_start(r);
                return BN_DONE;
            }
            if (r->rhead.status == 101) {
                upstream_failed(r, 502, "upstream switched protocols unasked");
                return BN_ERROR;
            }
            /* An interim response (100, 103 Early Hints): the client gets it
             * too, when it speaks HTTP/1.1 or HTTP/2 (RFC 9110 15.2). */
            if (r->version >= 11) {
                bn_http_interim_response(r);
            }
            r->rbuf.pos = r->rbuf.start + r->rhead.head_len;
            bn_buf_compact(&r->rbuf);
            bn_http_head_init(&r->rhead, BN_HTTP_PARSE_RESPONSE);
            continue;
        }
        if (rc == BN_OK) {
            static const struct {
                int status;
                unsigned bit;
            } fail_statuses[] = { { 500, BN_FAIL_HTTP_500 },
                                  { 502, BN_FAIL_HTTP_502 },
                                  { 503, BN_FAIL_HTTP_503 },
                                  { 504, BN_FAIL_HTTP_504 } };
            for (size_t i = 0; i < BN_NELEMS(fail_statuses); i++) {
                if (r->rhead.status == fail_statuses[i].status) {
                    bn_upstream_peer_failed(r, fail_statuses[i].bit);
                }
            }
            r->rhead_done = true;
            r->upstream_msec = (int64_t) (bn_current_msec - r->upstream_start_msec);
            r->upstream_status = r->rhead.status;
            if (r->cache_status != NULL && bn_cache_upstream_head(r) == BN_DONE) {
                request_run(r); /* answered from the cache after all */
                return BN_DONE;
            }
            if (bn_http_build_response_head(r) != BN_OK) {
                upstream_failed(r, 502, "upstream response head too large");
                return BN_ERROR;
            }
            if (r->websocket) {
                /* Refused the upgrade: an ordinary answer, but the
                 * connection was offered an upgrade; do not reuse it. */
                r->up_keepalive = false;
            }
            if (r->cache_status != NULL) {
                bn_cache_response(r);
            }
            r->resp_started = true;
            return 1;
        }
        if (rc == BN_ERROR || bn_buf_room(&r->rbuf) == 0) {
            r->client->log.action = "reading response header from upstream";
            upstream_failed(r, 502,
                                    rc == BN_ERROR ? "upstream sent an invalid response head"
                                                   : "upstream sent too big a header");
            return BN_ERROR;
        }
        n = bn_conn_recv(&u->conn, r->rbuf.last, bn_buf_room(&r->rbuf));
        if (n == BN_AGAIN) {
            return progress;
        }
        if (n <= 0) {
            int err = n == 0 ? 0 : errno;
            r->client->log.action = "reading response header from upstream";
            if ((n == 0 || err == ECONNRESET || err == EPIPE) && bn_buf_len(&r->rbuf) == 0
                && u->reused && !r->stale_retried && bn_upstream_replayable(r)) {
                /* A pooled connection the upstream closed as we reused it.
                 * The request is idempotent and all of it is still here: it
                 * is safe to send it again, once, on a fresh connection. */
                bn_log_error(BN_LOG_INFO, &r->client->log, err,
                             "a pooled upstream connection was closed; retrying on a new one");
                r->stale_retried = true;
                bn_upstream_reconnect(r);
                return BN_ERROR;
            }
            if (!u->reused || bn_buf_len(&r->rbuf) > 0) {
                /* A pooled connection closed under us says nothing of the server. */
                bn_upstream_peer_failed(r, BN_FAIL_ERROR);
            }
            if (err != 0) {
                bn_log_error(BN_LOG_ERR, &r->client->log, err, "recv() failed");
            }
            if (bn_buf_len(&r->rbuf) == 0
                && bn_upstream_retry(r, 502,
                                     n == 0 ? "upstream prematurely closed connection"
                                            : "upstream connection failed")) {
                return BN_ERROR;
            }
            upstream_failed(r, 502,
                                    n == 0 ? "upstream prematurely closed connection"
                                           : "upstream connection failed");
            return BN_ERROR;
        }
        if (r->upstream_first_msec == 0) {
            r->upstream_first_msec = bn_current_msec;
        }
        r->rbuf.last += n;
        progress = 1;
    }
}

static void
set_timers(bn_request_t *r, bool client_progress, bool up_progress)
{
    bn_conf_t *conf = bn_heritage.conf;
    bn_client_t *c = r->client;
    const bn_conf_route_t *rt = r->route;
    bool waiting_client_write = bn_buf_len(&r->rout) > 0 || r->resp_pipe.need_write;
    bool waiting_client_read = r->req_pipe.need_read && !r->req_pipe.done;
    uint64_t t;

    if (waiting_client_write || waiting_client_read) {
        t = waiting_client_write ? conf->limits.send_timeout : conf->limits.body_timeout;
        if (client_progress || !bn_timer_armed(&c->timer)) {
            bn_timer_set(&c->timer, t);
        }
    } else {
        bn_timer_del(&c->timer);
    }
    if (r->up == NULL || r->state != BN_REQ_PROXYING) {
        return;
    }
    if (bn_buf_len(&r->out) > 0 || r->req_pipe.need_write) {
        t = route_timeout(rt->send_timeout, r->upstream->send_timeout);
    } else if (!r->rhead_done || r->resp_pipe.need_read) {
        t = route_timeout(rt->read_timeout, r->upstream->read_timeout);
    } else {
        bn_timer_del(&r->up_timer);
        return;
    }
    if (up_progress || !bn_timer_armed(&r->up_timer)) {
        bn_timer_set(&r->up_timer, t);
    }
}

static void
abort_request(bn_request_t *r, int status, int err, const char *why)
{
    bn_client_t *c = r->client;

    bn_log_error(BN_LOG_INFO, &c->log, err, "%s", why);
    if (!r->resp_started || r->status == 0) {
        r->status = status;
    }
    request_ended(r);
    bn_http_close_client(c);
}

static void
request_run(bn_request_t *r)
{
    bn_client_t *c = r->client;
    bool cprog = false, uprog = false;
    const char *why = NULL;
    ssize_t n;
    int rc;

    BN_CHECK_OBJ(r, BN_REQUEST_MAGIC);
    if (r->state == BN_REQ_PHASES) {
        /* Parked in a phase: what it waits for wakes it (bn_phase_wake()).
         * A client gone meanwhile ends it now, or the wait would be spent
         * on nobody; its bytes, body or pipelined, stay where they are. */
        if (r->phase_reads_body) {
            bn_phase_wake(r); /* what it reads tells it of a close */
        } else if (c->conn.rdhup && r->phase < BN_PHASE_DONE) {
            abort_request(r, 499, 0, "client closed the connection while its request waited");
        }
        return;
    }
    if (r->state == BN_REQ_TUNNEL) {
        bn_tunnel_run(r);
        return;
    }
    if (r->state == BN_REQ_CACHED) {
        rc = bn_cache_send(r);
        if (rc == BN_ERROR) {
            abort_request(r, r->status, errno, "client closed the connection");
        } else if (rc == BN_DONE) {
            finalize_request(r);
        } else {
            set_timers(r, rc > 0, false);
        }
        return;
    }
    for (;;) {
        bool progress = false;

        /* While the response body pipe runs, it sends rout as its prefix.
         * A response of bouncer's own is all in rout: on a connection that
         * closes after it, the FIN may ride in its segment. */
        int more = r->state == BN_REQ_RESPONDING && !r->keepalive ? MSG_MORE : 0;
        n = r->rhead_done && !r->resp_pipe.done ? 0 : bn_conn_send_buf(&c->conn, &r->rout, more);
        if (n == BN_ERROR) {
            abort_request(r, 499, errno, "client closed the connection");
            return;
        }
        if (n > 0) {
            r->bytes_sent += (uint64_t) n;
            progress = cprog = true;
        }

        if (r->state == BN_REQ_PROXYING) {
            bn_upconn_t *u = r->up;

            if (bn_buf_len(&r->out) > 0) {
                n = bn_conn_send_buf(&u->conn, &r->out, 0);
                if (n == BN_ERROR) {
                    /* The upstream may still have answered: read it below. */
                    r->req_pipe.done = true;
                    r->out.pos = r->out.last;
                    r->keepalive = false;
                } else if (n > 0) {
                    r->sent_any = true;
                    progress = uprog = true;
                }
            }
            if (bn_buf_len(&r->out) == 0 && !r->req_pipe.done) {
                uint64_t before = r->req_pipe.bytes_out;
                rc = bn_pipe_run(&r->req_pipe, &c->conn, &u->conn, &why);
                r->body_sent = r->req_pipe.bytes_out;
                if (rc == BN_PIPE_TOO_LARGE && !r->resp_started) {
                    bn_log_error(BN_LOG_INFO, &c->log, 0,
                                 "client sent a chunked body over the limit of %" PRIu64 " bytes",
                                 r->req_pipe.max_body);
                    respond(r, 413, NULL, NULL, NULL);
                    return;
                }
                if (rc == BN_PIPE_TOO_LARGE) {
                    abort_request(r, r->status, 0, "client sent a chunked body over the limit");
                    return;
                }
                if (rc == BN_PIPE_SRC_ERROR) {
                    if (!r->resp_started && strcmp(why, "invalid chunked body") == 0) {
                        bn_log_error(BN_LOG_INFO, &c->log, 0,
                                     "client sent an invalid chunked body");
                        r->keepalive = false;
                        respond(r, 400, NULL, NULL, NULL);
                        return;
                    }
                    abort_request(r, 499, 0, "client closed the connection while sending the body");
                    return;
                }
                if (rc == BN_PIPE_DST_ERROR) {
                    r->req_pipe.done = true;
                    r->keepalive = false;
                } else if (rc > 0) {
                    progress = true;
                    cprog = cprog || r->req_pipe.bytes_out != before || r->req_pipe.in_done;
                    uprog = true;
                }
            }
            if (!r->rhead_done) {
                rc = read_response_head(r);
                if (rc == BN_ERROR || rc == BN_DONE) {
                    return; /* answered, or now a tunnel */
                }
                if (rc > 0) {
                    progress = uprog = true;
                }
            }
            if (r->rhead_done && !r->resp_pipe.done) {
                uint64_t before = r->resp_pipe.bytes_out;
                rc = bn_pipe_run(&r->resp_pipe, &u->conn, &c->conn, &why);
                r->bytes_sent += r->resp_pipe.bytes_out - before;
                if (rc == BN_PIPE_SRC_ERROR) {
                    /* Not a passive health failure: the server answered. */
                    c->log.action = "reading upstream";
                    upstream_failed(r, 502, why);
                    return;
                }
                if (rc == BN_PIPE_DST_ERROR) {
                    abort_request(r, r->status, errno, "client closed the connection");
                    return;
                }
                if (rc > 0) {
                    progress = uprog = true;
                    cprog = cprog || r->resp_pipe.bytes_out != before;
                }
            }
        }

        if (bn_buf_len(&r->rout) == 0 && r->resp_pipe.done
            && (r->state == BN_REQ_RESPONDING || r->rhead_done)) {
            finalize_request(r);
            return;
        }
        if (!progress) {
            break;
        }
    }
    set_timers(r, cprog, uprog);
}

/* The response is out: log, then keep the connection for the next request or
 * close it. */
static void
finalize_request(bn_request_t *r)
{
    bn_client_t *c = r->client;
    bn_conf_t *conf = bn_heritage.conf;
    bool keepalive =
        r->keepalive && !bn_worker_quitting && c->nrequests < conf->limits.keepalive_requests;
    /* Answered (by bouncer or the upstream) before the body was all read. */
    bool early = !r->req_pipe.in_done;
    bool error = r->status >= 400;

    bn_upstream_release(r, r->up_keepalive && r->req_pipe.done && bn_buf_len(&r->rbuf) == 0);
    if (r->cache_status != NULL) {
        bn_cache_finish(r, true);
    }
    request_ended(r);
    if (r->body.start != NULL) {
        /* What came after the body is the next request's. */
        c->in.pos = r->body.pos;
        c->in.last = r->body.last;
    }
    free_request(r);
    c->log.action = NULL;
    if (c->h2_stream) {
        bn_h2_stream_detach(c, true);
        bn_http_close_client(c);
        return;
    }
    if (!keepalive) {
        if (early || (error && bn_buf_len(&c->in) > 0)) {
            start_lingering(c);
        } else {
            bn_http_close_client(c);
        }
        return;
    }
    if (bn_buf_len(&c->in) == 0) {
        /* Idle keep-alive connections may be many: they keep no buffer. */
        head_buf_put(c->in.start);
        memset(&c->in, 0, sizeof(c->in));
    } else {
        bn_buf_compact(&c->in);
    }
    c->state = BN_CLIENT_IDLE;
    bn_timer_set(&c->timer, conf->limits.keepalive_timeout);
    read_head(c);
}

/* ---- HTTP/2 streams ------------------------------------------------------------------ */

/*
 * A stream's stand-in client: what a request reads of its client (the
 * peer, the listener, the TLS of the connection for https and $ssl_*) is
 * the connection's; its bytes go through stream s (conn.stream), its head is
 * to be written into in, and its timer is its own.
 */
static bn_client_t *
stream_client(bn_client_t *parent, bn_conn_stream_t *s, uint32_t id)
{
    bn_conf_t *conf = bn_heritage.conf;
    bn_client_t *c = bn_http_client_alloc();
    char *m;

    if (c == NULL) {
        return NULL;
    }
    if ((m = head_buf_get(HEAD_BUF_SIZE(conf))) == NULL) {
        bn_http_client_free(c);
        return NULL;
    }
    c->magic = BN_CLIENT_MAGIC;
    c->h2_stream = true;
    c->h2_id = id;
    c->conn.io.fd = -1;
    c->conn.io.handler = bn_http_client_event;
    c->conn.ssl = parent->conn.ssl;
    c->conn.stream = s;
    c->conn.readable = true;
    c->conn.writable = true;
    c->peer = parent->peer;
    c->listen = parent->listen;
    c->tls_server = parent->tls_server;
    c->sni = parent->sni;
    c->client_subject = parent->client_subject; /* the connection's: not freed with c */
    c->log = parent->log;
    c->log.data = c;
    c->log.action = NULL;
    c->timer.handler = client_timeout;
    c->timer.data = c;
    c->nrequests = 1;
    c->state = BN_CLIENT_READING;
    bn_buf_init(&c->in, m, HEAD_BUF_SIZE(conf));
    return c;
}

static void
stream_start(bn_client_t *c)
{
    (void) start_request(c);
}

/* The stream under c's request was reset, or its connection closed. */
static void
stream_aborted(bn_client_t *c, const char *why)
{
    bn_request_t *r = c->req;

    if (r != NULL && c->state == BN_CLIENT_BUSY) {
        bn_log_error(BN_LOG_INFO, &c->log, 0, "%s", why);
        if (!r->resp_started || r->status == 0) {
            r->status = 499;
        }
        request_ended(r);
    }
    bn_http_close_client(c);
}

static void
release_in(bn_client_t *c)
{
    head_buf_put(c->in.start);
    memset(&c->in, 0, sizeof(c->in));
}

static const bn_h2_owner_t h2_owner = { stream_client, stream_start, stream_aborted,
                                        bn_http_close_client, release_in };
