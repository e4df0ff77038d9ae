/*
 * auth_forward.c: forward authentication (nginx's auth_request, Traefik's
 * ForwardAuth).  Each request asks a service first: a GET to the policy's
 * url carrying the method, target and client in X-Forwarded-Method, -Uri
 * and -For and the pass_headers of the request, on the policy's own pool
 * of keep-alive connections, while the request is parked.  A 2xx admits
 * (copy_headers go upstream, user_header names $auth_user); a 401 or 403
 * goes back to the client with the service's headers and body; anything
 * else, or nothing within timeout, is a 503, logged.
 */
#include "auth.h"
#include "event.h"
#include "phase_types.h"
#include "pipe.h"
#include "request.h"
#include "../common/auth_cache.h"
#include "../common/clock.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ANSWER_MAX (64 * 1024) /* head and body of the service's answer */
#define ANSWER_HEADERS 64
#define IDLE_MAX 32           /* pooled connections per policy and worker */
#define IDLE_TIMEOUT (30 * 1000)

/* An answer: the parsed head over buf, and its body (decoded) after it. */
typedef struct {
    bn_http_head_t head;
    bn_http_header_t headers[ANSWER_HEADERS];
    char *buf;
    char *body;
    size_t body_len;
} answer_t;

typedef struct fwd_s fwd_t;

struct fwd_s {
    bn_conn_t conn; /* first: its io is what epoll reports */
    bn_list_t link; /* on its policy's idle list */
    const bn_conf_auth_t *policy;
    bn_auth_try_t *t; /* NULL: idle in the pool */
    bn_request_t *r;
    bn_timer_t timer; /* the answer's deadline; idle: the pool's */
    bool connected, reused;
    bool answered; /* the request has yet to read it */
    bool keep;     /* the answer left the connection reusable */
    bn_buf_t out;
    bn_buf_t in; /* the answer's bytes: a.buf */
    answer_t a;
    bool head_done;
    bn_http_chunked_t chunked;
};

static bn_list_t *idle;     /* per policy index */
static unsigned *idle_count;

static void fwd_event(bn_io_t *io, uint32_t events);
static void fwd_timeout(bn_timer_t *tm);

static void
fwd_close(fwd_t *f)
{
    bn_timer_del(&f->timer);
    if (bn_list_linked(&f->link)) {
        bn_list_remove(&f->link);
        idle_count[f->policy->index]--;
    }
    if (f->conn.io.fd != -1) {
        close(f->conn.io.fd);
        f->conn.io.fd = -1;
    }
    f->conn.io.closed = true;
    free(f->out.start);
    free(f->in.start);
    bn_event_defer_free(free, f);
}

/* The request went while its question was out: that answer is nobody's. */
static void
fwd_forget(void *data)
{
    bn_auth_try_t *t = data;

    if (t->state != NULL && t->policy->method == BN_AUTH_FORWARD) {
        fwd_close(t->state);
        t->state = NULL;
    }
}

static int
pool_init(void)
{
    size_t n = bn_heritage.conf->nauth_policies;

    if (idle != NULL) {
        return BN_OK;
    }
    idle = calloc(n + 1, sizeof(*idle));
    idle_count = calloc(n + 1, sizeof(*idle_count));
    if (idle == NULL || idle_count == NULL) {
        free(idle);
        free(idle_count);
        idle = NULL;
        idle_count = NULL;
        return BN_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        bn_list_init(&idle[i]);
    }
    return BN_OK;
}

/* A connection for the policy: an idle one that still looks alive, or a new one. */
static fwd_t *
fwd_get(bn_request_t *r, const bn_conf_auth_t *a)
{
    bn_list_t *k;
    fwd_t *f;
    int fd;

    while ((k = bn_list_head(&idle[a->index])) != NULL) {
        f = bn_list_data(k, fwd_t, link);
        bn_list_remove(&f->link);
        idle_count[a->index]--;
        bn_timer_del(&f->timer);
        if (!f->conn.rdhup) {
            f->reused = true;
            return f;
        }
        fwd_close(f);
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return NULL;
    }
    f->policy = a;
    f->conn.io.fd = -1;
    f->conn.io.handler = fwd_event;
    f->timer.handler = fwd_timeout;
    f->timer.data = f;
    f->out.start = malloc(8192);
    f->in.start = f->a.buf = malloc(ANSWER_MAX);
    if (f->out.start == NULL || f->in.start == NULL) {
        fwd_close(f);
        return NULL;
    }
    bn_buf_init(&f->out, f->out.start, 8192);
    bn_buf_init(&f->in, f->in.start, ANSWER_MAX);
    fd = socket(a->forward.url.addr.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        bn_log_error(BN_LOG_ERR, &r->client->log, errno, "forward auth: socket() failed");
        fwd_close(f);
        return NULL;
    }
    f->conn.io.fd = fd;
    if (connect(fd, (struct sockaddr *) &a->forward.url.addr.sa, a->forward.url.addr.len) == -1
        && errno != EINPROGRESS) {
        bn_log_error(BN_LOG_INFO, &r->client->log, errno, "forward auth: connect() to %s failed",
                     a->forward.url.addr.text);
        fwd_close(f);
        return NULL;
    }
    if (bn_event_add(&f->conn.io) != BN_OK) {
        fwd_close(f);
        return NULL;
    }
    return f;
}

/* The question: GET url, who asks for what, and the headers it passes. */
static int
build_question(fwd_t *f, bn_request_t *r)
{
    const bn_conf_auth_t *a = f->policy;
    bn_buf_t *b = &f->out;

    bn_buf_init(b, f->out.start, 8192);
    bn_buf_init(&f->in, f->in.start, ANSWER_MAX);
    bn_http_head_init(&f->a.head, BN_HTTP_PARSE_RESPONSE);
    f->a.head.headers = f->a.headers;
    f->a.buf = f->in.start;
    f->a.head.max_headers = ANSWER_HEADERS;
    f->a.head.max_head = ANSWER_MAX;
    memset(&f->chunked, 0, sizeof(f->chunked));
    f->head_done = false;
    f->answered = false;
    f->a.body_len = 0;
    if (bn_buf_printf(b,
                      "GET %s HTTP/1.1\r\nHost: %s\r\nX-Forwarded-Method: %s\r\n"
                      "X-Forwarded-Proto: %s\r\nX-Forwarded-For: %s\r\n",
                      a->forward.url.path, a->forward.url.host, r->method,
                      r->client->conn.ssl ? "https" : "http", r->remote_addr)
            != BN_OK
        || (r->host != NULL && bn_buf_printf(b, "X-Forwarded-Host: %s\r\n", r->host) != BN_OK)
        || bn_buf_printf(b, "X-Forwarded-Uri: %s\r\n", r->request_uri) != BN_OK) {
        return BN_ERROR;
    }
    for (size_t i = 0; i < a->forward.npass_headers; i++) {
        const char *name = a->forward.pass_headers[i];
        const char *v = bn_http_header(r, name); /* names compare in any case */

        if (v != NULL && bn_buf_printf(b, "%s: %s\r\n", name, v) != BN_OK) {
            return BN_ERROR;
        }
    }
    return bn_buf_printf(b, "\r\n");
}

/*
 * The answer is whole (or there will be none: 503).  The connection stays
 * the request's until its method has read the answer (release()); the
 * request goes on from the loop.
 */
static void
answered(fwd_t *f, int result)
{
    bn_timer_del(&f->timer);
    f->answered = true;
    f->t->result = result;
    bn_phase_wake(f->r);
}

/* Done with the answer: the connection goes back to the pool, or closes. */
static void
release(bn_auth_try_t *t)
{
    fwd_t *f = t->state;
    unsigned i = f->policy->index;

    t->state = NULL;
    f->t = NULL;
    f->r = NULL;
    if (f->keep && idle_count[i] < IDLE_MAX) {
        bn_list_insert_head(&idle[i], &f->link);
        idle_count[i]++;
        bn_timer_set(&f->timer, IDLE_TIMEOUT);
        return;
    }
    fwd_close(f);
}

static int start_question(bn_request_t *r, bn_auth_try_t *t);

static void
failed(fwd_t *f, int err, const char *why)
{
    bn_auth_try_t *t = f->t;
    bn_request_t *r = f->r;

    if (f->reused && bn_buf_len(&f->in) == 0) {
        /* A pooled connection the service had closed: ask again, afresh. */
        t->state = NULL;
        fwd_close(f);
        if (start_question(r, t) != BN_AGAIN) {
            t->result = -1;
            bn_phase_wake(r);
        }
        return;
    }
    bn_log_error(BN_LOG_ERR, &r->client->log, err, "forward auth: %s (%s): 503", why,
                 f->policy->forward.url.addr.text);
    f->keep = false;
    answered(f, -1);
}

/* Reads what the service sends; BN_DONE when the answer is whole. */
static int
read_answer(fwd_t *f)
{
    for (;;) {
        ssize_t n;
        int rc;

        if (!f->head_done) {
            rc = bn_http_parse_head(&f->a.head, f->in.start, bn_buf_len(&f->in));
            if (rc == BN_ERROR) {
                return BN_ERROR;
            }
            if (rc == BN_OK) {
                f->head_done = true;
                f->a.body = f->in.start + f->a.head.head_len;
                f->a.body_len = 0;
                f->in.pos = f->a.body;
                if (f->a.head.content_length < 0 && !f->a.head.chunked) {
                    f->a.head.conn_close = true; /* read to the end */
                }
                if (f->a.head.status == 204 || f->a.head.status == 304
                    || (f->a.head.status >= 100 && f->a.head.status < 200)) {
                    return f->a.head.status >= 200 ? BN_DONE : BN_ERROR;
                }
            }
        }
        if (f->head_done) {
            if (f->a.head.chunked) {
                while (f->in.pos < f->in.last) {
                    const char *data = NULL;
                    size_t used, dlen = 0;
                    rc = bn_http_parse_chunked(&f->chunked, f->in.pos,
                                               (size_t) (f->in.last - f->in.pos), &used, &data,
                                               &dlen);
                    if (rc == BN_ERROR) {
                        return BN_ERROR;
                    }
                    if (dlen > 0) {
                        memmove(f->a.body + f->a.body_len, data, dlen);
                        f->a.body_len += dlen;
                    }
                    f->in.pos += used;
                    if (rc == BN_DONE) {
                        return f->in.pos == f->in.last ? BN_DONE : BN_ERROR;
                    }
                    if (rc == BN_AGAIN) {
                        break;
                    }
                }
                /* Room for more: what is decoded stays, framing goes. */
                f->in.last = f->in.pos = f->a.body + f->a.body_len;
            } else if (f->a.head.content_length >= 0) {
                f->a.body_len = (size_t) (f->in.last - f->a.body);
                if ((int64_t) f->a.body_len >= f->a.head.content_length) {
                    if ((int64_t) f->a.body_len > f->a.head.content_length) {
                        return BN_ERROR; /* more than it said: not one answer */
                    }
                    return BN_DONE;
                }
            } else {
                f->a.body_len = (size_t) (f->in.last - f->a.body);
            }
        }
        if (bn_buf_room(&f->in) == 0) {
            return BN_ERROR; /* over ANSWER_MAX */
        }
        n = bn_conn_recv(&f->conn, f->in.last, bn_buf_room(&f->in));
        if (n == BN_AGAIN) {
            return BN_AGAIN;
        }
        if (n == BN_ERROR) {
            return BN_ERROR;
        }
        if (n == 0) {
            /* The end: an answer framed by it is whole, others are cut. */
            return f->head_done && f->a.head.content_length < 0 && !f->a.head.chunked ? BN_DONE
                                                                                  : BN_ERROR;
        }
        f->in.last += n;
    }
}

static void
fwd_run(fwd_t *f)
{
    int rc;

    if (bn_buf_len(&f->out) > 0) {
        ssize_t n = bn_conn_send_buf(&f->conn, &f->out, 0);
        if (n == BN_ERROR) {
            failed(f, errno, f->connected ? "cannot send to the service" : "cannot connect");
            return;
        }
        if (n > 0) {
            f->connected = true;
        }
        if (bn_buf_len(&f->out) > 0) {
            return;
        }
    }
    rc = read_answer(f);
    if (rc == BN_AGAIN) {
        return;
    }
    if (rc == BN_ERROR) {
        failed(f, errno, f->head_done ? "the service's answer is malformed or too large"
                                      : "the service closed the connection or sent no valid head");
        return;
    }
    f->keep = f->a.head.version == 11 && !f->a.head.conn_close;
    answered(f, f->a.head.status);
}

static void
fwd_event(bn_io_t *io, uint32_t events)
{
    fwd_t *f = (fwd_t *) io;

    bn_conn_ready(&f->conn, events);
    if (f->t == NULL) {
        /* Idle in the pool: bytes or a close, unasked for, end it. */
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            fwd_close(f);
        }
        return;
    }
    if (!f->answered) {
        fwd_run(f);
    }
}

static void
fwd_timeout(bn_timer_t *tm)
{
    fwd_t *f = tm->data;

    if (f->t == NULL) {
        fwd_close(f); /* idle too long */
        return;
    }
    bn_log_error(BN_LOG_ERR, &f->r->client->log, 0,
                 "forward auth: no answer from %s within %" PRIu64 " ms: 503",
                 f->policy->forward.url.addr.text, f->policy->forward.timeout);
    f->keep = false;
    answered(f, -1);
}

/* The service's header lines that go back to the client with its 401/403. */
static char *
answer_lines(bn_request_t *r, const answer_t *an, const char **ctype)
{
    static const char *const skip[] = { "connection", "keep-alive",     "transfer-encoding",
                                        "content-length", "content-type", "date",
                                        "server",     "proxy-connection", "te",
                                        "trailer",    "upgrade" };
    /* A line rebuilt as "name: value\r\n" can be two bytes longer than
     * the service wrote it ("name:value\n"). */
    char *out = bn_palloc(r->pool, an->head.head_len + 2 * an->head.nheaders + 1), *o = out;

    *ctype = NULL;
    if (out == NULL) {
        return NULL;
    }
    for (unsigned i = 0; i < an->head.nheaders; i++) {
        const bn_http_header_t *h = &an->head.headers[i];
        const char *name = an->buf + h->name;
        bool skipped = false;

        for (size_t k = 0; k < BN_NELEMS(skip) && !skipped; k++) {
            skipped = bn_strncaseeq(name, h->name_len, skip[k], strlen(skip[k]));
        }
        if (bn_strncaseeq(name, h->name_len, "content-type", 12)) {
            *ctype = bn_pstrndup(r->pool, an->buf + h->value, h->value_len);
        }
        if (skipped) {
            continue;
        }
        memcpy(o, name, h->name_len);
        o += h->name_len;
        memcpy(o, ": ", 2);
        o += 2;
        memcpy(o, an->buf + h->value, h->value_len);
        o += h->value_len;
        memcpy(o, "\r\n", 2);
        o += 2;
    }
    *o = '\0';
    return out;
}

/* A 2xx: copy_headers and user_header from the answer. */
static int
admit(bn_request_t *r, const bn_conf_auth_t *a, const answer_t *an)
{
    const char *user = "";
    size_t ulen = 0;

    for (size_t i = 0; i < a->forward.ncopy_headers; i++) {
        const bn_conf_auth_header_t *c = &a->forward.copy_headers[i];
        for (unsigned k = 0; k < an->head.nheaders; k++) {
            const bn_http_header_t *h = &an->head.headers[k];
            if (bn_strncaseeq(an->buf + h->name, h->name_len, c->header, c->header_len)
                && bn_request_add_header(r, c->header, c->header_len, an->buf + h->value,
                                         h->value_len)
                       == BN_ERROR) {
                return BN_ERROR;
            }
        }
    }
    if (a->forward.user_header != NULL) {
        int k = bn_http_find_header(&an->head, an->buf, a->forward.user_header);
        if (k >= 0) {
            user = an->buf + an->head.headers[k].value;
            ulen = an->head.headers[k].value_len;
        }
    }
    return bn_auth_passed(r, "forward", user, ulen);
}

/* What the request does with the service's answer (or the kept one). */
static int
decide(bn_request_t *r, bn_auth_try_t *t, const answer_t *an, bool kept)
{
    int status = an->head.status;

    if (status >= 200 && status <= 299) {
        return admit(r, t->policy, an) == BN_OK ? BN_OK : 500;
    }
    if (status == 401 || status == 403) {
        t->extra = answer_lines(r, an, &t->ctype);
        t->body = bn_pstrndup(r->pool, an->body, an->body_len);
        bn_log_error(BN_LOG_INFO, &r->client->log, 0, "forward auth: the service answered %d%s",
                     status, kept ? " (kept)" : "");
        return status;
    }
    bn_log_error(BN_LOG_ERR, &r->client->log, 0, "forward auth: the service answered %d: 503",
                 status);
    return 503;
}

/*
 * The key of an answer kept in shared memory: a keyed hash of what the
 * service may decide by (the credential: the pass_headers' values; and
 * the client's address, scheme and host, which the question tells it too:
 * a service that lets its own network in without a login must not let
 * everyone in through the cache) and of what it was asked about (server
 * block, route, method, URI), and of the config generation, whose policies
 * and routes these numbers are.
 */
static void
answer_key(bn_request_t *r, const bn_conf_auth_t *a, unsigned char *key)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
                            OSSL_PARAM_construct_end() };
    unsigned ids[4] = { bn_heritage.generation, a->index, r->server->index,
                        (unsigned) (r->route - r->server->routes) };
    size_t n = 0;

    memset(key, 0, BN_AUTH_CACHE_KEY);
    if (ctx == NULL
        || EVP_MAC_init(ctx, bn_heritage.secret, sizeof(bn_heritage.secret), params) != 1) {
        goto done;
    }
    EVP_MAC_update(ctx, (const unsigned char *) ids, sizeof(ids));
    /* Each field ends in a NUL, which none of them can hold: no two
     * requests run together into one key. */
    EVP_MAC_update(ctx, (const unsigned char *) r->method, strlen(r->method) + 1);
    EVP_MAC_update(ctx, (const unsigned char *) r->request_uri, strlen(r->request_uri) + 1);
    EVP_MAC_update(ctx, (const unsigned char *) r->remote_addr, strlen(r->remote_addr) + 1);
    EVP_MAC_update(ctx, (const unsigned char *) (r->client->conn.ssl ? "s" : "p"), 1);
    EVP_MAC_update(ctx, (const unsigned char *) (r->host ? "\1" : "\2"), 1);
    if (r->host != NULL) {
        EVP_MAC_update(ctx, (const unsigned char *) r->host, strlen(r->host) + 1);
    }
    for (size_t i = 0; i < a->forward.npass_headers; i++) {
        const char *v = bn_http_header(r, a->forward.pass_headers[i]);
        /* Absent and empty differ: "\1" marks a header that is there. */
        EVP_MAC_update(ctx, (const unsigned char *) (v ? "\1" : "\2"), 1);
        if (v != NULL) {
            EVP_MAC_update(ctx, (const unsigned char *) v, strlen(v) + 1);
        }
    }
    EVP_MAC_final(ctx, key, &n, BN_AUTH_CACHE_KEY);
done:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

/* The answer kept for this request, parsed into an (in r's pool). */
static bool
kept_answer(bn_request_t *r, const unsigned char *key, answer_t *an)
{
    size_t n;

    an->buf = bn_palloc(r->pool, BN_AUTH_CACHE_MAX);
    if (an->buf == NULL) {
        return false;
    }
    n = bn_auth_cache_get(bn_auth_cache, key, bn_current_msec, an->buf, BN_AUTH_CACHE_MAX);
    if (n == 0) {
        return false;
    }
    bn_http_head_init(&an->head, BN_HTTP_PARSE_RESPONSE);
    an->head.headers = an->headers;
    an->head.max_headers = ANSWER_HEADERS;
    an->head.max_head = n;
    if (bn_http_parse_head(&an->head, an->buf, n) != BN_OK) {
        return false;
    }
    an->body = an->buf + an->head.head_len;
    an->body_len = n - an->head.head_len;
    return true;
}

/* Keeps a 2xx, 401 or 403 for forward.cache, when it fits. */
static void
keep_answer(const bn_conf_auth_t *a, const unsigned char *key, const answer_t *an)
{
    int st = an->head.status;
    size_t hl = an->head.head_len;
    char blob[BN_AUTH_CACHE_MAX];

    if (a->forward.cache == 0 || !((st >= 200 && st <= 299) || st == 401 || st == 403)
        || hl + an->body_len > sizeof(blob)) {
        return;
    }
    memcpy(blob, an->buf, hl);
    memmove(blob + hl, an->body, an->body_len);
    bn_auth_cache_put(bn_auth_cache, key, bn_current_msec, bn_current_msec + a->forward.cache, blob,
                      hl + an->body_len);
}

/* Sends the request's question on a connection of the policy's pool. */
static int
start_question(bn_request_t *r, bn_auth_try_t *t)
{
    const bn_conf_auth_t *a = t->policy;
    fwd_t *f;

    if (pool_init() != BN_OK || (f = fwd_get(r, a)) == NULL) {
        return 503;
    }
    if (build_question(f, r) != BN_OK) {
        bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                     "forward auth: the request's headers do not fit the question: 503");
        fwd_close(f);
        return 503;
    }
    f->t = t;
    f->r = r;
    t->state = f;
    bn_timer_set(&f->timer, a->forward.timeout);
    if (f->conn.writable || f->reused) {
        fwd_run(f);
    }
    return BN_AGAIN;
}

int
bn_auth_forward(bn_request_t *r, bn_auth_try_t *t)
{
    const bn_conf_auth_t *a = t->policy;
    fwd_t *f = t->state;
    unsigned char key[BN_AUTH_CACHE_KEY];
    answer_t kept;
    int rc;

    if (t->result == 0) {
        /* The client's own copy_headers are gone already (access_auth.c). */
        t->sent = true;
        if (a->forward.cache > 0 && bn_auth_cache != NULL) {
            answer_key(r, a, key);
            if (kept_answer(r, key, &kept)) {
                return decide(r, t, &kept, true);
            }
        }
        if (!t->registered) {
            if (bn_pool_cleanup_add(r->pool, fwd_forget, t) != BN_OK) {
                return 500;
            }
            t->registered = true;
        }
        return start_question(r, t);
    }
    if (f == NULL || t->result < 0) {
        if (f != NULL) {
            release(t);
        }
        return 503; /* logged where it failed */
    }
    rc = decide(r, t, &f->a, false);
    if (a->forward.cache > 0 && bn_auth_cache != NULL && rc != 503 && rc != 500) {
        answer_key(r, a, key);
        keep_answer(a, key, &f->a);
    }
    release(t);
    return rc;
}
