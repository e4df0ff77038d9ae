/*
 * helper_jwks.c: fetching the JWKS of each jwt policy with a jwks_url, in
 * the helper process (see helper_main.c), so that it is fetched once for
 * every worker and no worker ever waits on the network for it.  Every
 * jwks_refresh, and when a worker meets a kid it does not know (at most
 * once a minute), a GET over plain HTTP or TLS (the certificate checked
 * against jwks_ca or the system's CAs, and its name against the URL's),
 * driven by the helper's poll() loop.  A document that parses as a JWKS
 * with at least one usable key is published to the workers (common/jwks.h);
 * anything else is logged and the keys fetched before stay in force.
 */
#include "helper.h"
#include "../common/clock.h"
#include "../common/http_parse.h"
#include "../common/jwks.h"
#include "../common/jwt.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ASK_INTERVAL (60 * 1000) /* at most one fetch a minute on an unknown kid */
#define RETRY_AFTER (60 * 1000)  /* after a failed fetch */
#define RESPONSE_MAX (BN_JWKS_MAX + 16 * 1024)
#define RESPONSE_HEADERS 64

typedef enum { FETCH_IDLE = 0, FETCH_CONNECTING, FETCH_HANDSHAKE, FETCH_SENDING, FETCH_READING } state_t;

struct bn_jwks_fetch_s {
    bn_conf_auth_t *policy;
    state_t state;
    int fd;
    SSL_CTX *ctx; /* https: verifies the service */
    SSL *ssl;
    short want;          /* the poll events the current step waits for */
    bn_msec_t next_at;   /* when the next fetch starts */
    bn_msec_t deadline;  /* when the current one times out */
    bn_msec_t started;   /* when the last one started */
    bn_msec_t kid_at;    /* when a worker's unknown kid last started one */
    char req[1024];
    size_t req_len, sent;
    char *resp;
    size_t got;
};

typedef bn_jwks_fetch_t fetch_t;

static fetch_t *fetches;
static size_t nfetches;

static void
finish(fetch_t *f, bool ok)
{
    if (f->ssl != NULL) {
        SSL_free(f->ssl);
        f->ssl = NULL;
    }
    if (f->fd != -1) {
        close(f->fd);
        f->fd = -1;
    }
    f->state = FETCH_IDLE;
    f->next_at = f->started + (ok ? f->policy->jwt.jwks_refresh : RETRY_AFTER);
}

static void
failed(fetch_t *f, const char *why)
{
    unsigned long e = ERR_get_error();
    char ebuf[256] = "";

    if (e != 0) {
        ERR_error_string_n(e, ebuf, sizeof(ebuf));
        ERR_clear_error();
    }
    bn_log_error(BN_LOG_WARN, NULL, 0,
                 "jwks_url \"%s\" of auth policy \"%s\": %s%s%s; the keys it gave before are kept",
                 f->policy->jwt.jwks_url.text, f->policy->name, why, ebuf[0] ? ": " : "", ebuf);
    finish(f, false);
}

/* The body of a whole response (decoded in place), or NULL with *why. */
static char *
response_body(fetch_t *f, size_t *len, const char **why)
{
    bn_http_header_t headers[RESPONSE_HEADERS];
    bn_http_head_t h;
    char *body;

    bn_http_head_init(&h, BN_HTTP_PARSE_RESPONSE);
    h.headers = headers;
    h.max_headers = RESPONSE_HEADERS;
    h.max_head = 16 * 1024;
    if (bn_http_parse_head(&h, f->resp, f->got) != BN_OK) {
        *why = "the answer has no valid HTTP head";
        return NULL;
    }
    if (h.status != 200) {
        *why = "the answer is not a 200";
        return NULL;
    }
    body = f->resp + h.head_len;
    *len = f->got - h.head_len;
    if (h.chunked) {
        bn_http_chunked_t c;
        const char *p = body, *end = body + *len;
        size_t out = 0;
        int rc = BN_OK;

        memset(&c, 0, sizeof(c));
        while (p < end && rc != BN_DONE) {
            const char *data = NULL;
            size_t used, dlen = 0;
            rc = bn_http_parse_chunked(&c, p, (size_t) (end - p), &used, &data, &dlen);
            if (rc == BN_ERROR) {
                break;
            }
            if (dlen > 0) {
                /* A size line or the end brings no data (data is NULL). */
                memmove(body + out, data, dlen);
                out += dlen;
            }
            p += used;
        }
        if (rc != BN_DONE) {
            *why = "the chunked answer is malformed or cut";
            return NULL;
        }
        *len = out;
    } else if (h.content_length >= 0) {
        if ((int64_t) *len != h.content_length) {
            *why = "the answer's body is not as long as its Content-Length";
            return NULL;
        }
    }
    return body;
}

/* The whole answer is in: publish it if it is a JWKS with keys. */
static void
answered(fetch_t *f)
{
    const char *why = NULL;
    size_t len = 0;
    char *body = response_body(f, &len, &why), err[256];
    bn_pool_t *pool;
    bn_jwt_keys_t *keys;

    if (body == NULL) {
        failed(f, why);
        return;
    }
    if (len > BN_JWKS_MAX) {
        failed(f, "the JWKS is larger than 64 KiB");
        return;
    }
    pool = bn_pool_create(16384);
    if (pool == NULL) {
        failed(f, "out of memory");
        return;
    }
    keys = bn_jwt_keys_from_jwks(pool, body, len, err, sizeof(err));
    if (keys == NULL || bn_jwt_keys_count(keys) == 0) {
        bn_pool_destroy(pool);
        failed(f, keys == NULL ? err : "the JWKS has no usable key");
        return;
    }
    bn_log_error(BN_LOG_INFO, NULL, 0, "jwks_url \"%s\": %zu keys", f->policy->jwt.jwks_url.text,
                 bn_jwt_keys_count(keys));
    bn_pool_destroy(pool);
    bn_jwks_publish(f->policy->jwt.jwks, body, len);
    finish(f, true);
}

static void
start(fetch_t *f)
{
    const bn_conf_url_t *u = &f->policy->jwt.jwks_url;
    int n;

    f->started = bn_current_msec;
    f->deadline = bn_current_msec + f->policy->jwt.jwks_timeout;
    f->got = 0;
    f->sent = 0;
    n = snprintf(f->req, sizeof(f->req),
                 "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n"
                 "User-Agent: bouncer\r\nConnection: close\r\n\r\n",
                 u->path, u->host);
    if (n < 0 || (size_t) n >= sizeof(f->req)) {
        failed(f, "the URL is too long");
        return;
    }
    f->req_len = (size_t) n;
    f->fd = socket(u->addr.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (f->fd == -1) {
        failed(f, strerror(errno));
        return;
    }
    if (connect(f->fd, (struct sockaddr *) &u->addr.sa, u->addr.len) == -1 && errno != EINPROGRESS) {
        failed(f, strerror(errno));
        return;
    }
    f->state = FETCH_CONNECTING;
    f->want = POLLOUT;
}

/* One step of TLS: what it waits for next, or an error. */
static int
tls_wait(fetch_t *f, int rc)
{
    switch (SSL_get_error(f->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
        f->want = POLLIN;
        return BN_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        f->want = POLLOUT;
        return BN_AGAIN;
    default:
        return BN_ERROR;
    }
}

static void
step(fetch_t *f)
{
    const bn_conf_url_t *u = &f->policy->jwt.jwks_url;
    int rc, err = 0;
    socklen_t el = sizeof(err);
    ssize_t n;

    switch (f->state) {
    case FETCH_IDLE:
        return;
    case FETCH_CONNECTING:
        if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err != 0) {
            failed(f, strerror(err ? err : errno));
            return;
        }
        if (!u->tls) {
            f->state = FETCH_SENDING;
            f->want = POLLOUT;
            break;
        }
        f->ssl = SSL_new(f->ctx);
        if (f->ssl == NULL || SSL_set_fd(f->ssl, f->fd) != 1 || SSL_set1_host(f->ssl, u->name) != 1) {
            failed(f, "cannot start TLS");
            return;
        }
        SSL_set_tlsext_host_name(f->ssl, u->name);
        f->state = FETCH_HANDSHAKE;
        /* fall through */
    case FETCH_HANDSHAKE:
        rc = SSL_connect(f->ssl);
        if (rc != 1) {
            if (tls_wait(f, rc) != BN_AGAIN) {
                failed(f, SSL_get_verify_result(f->ssl) != X509_V_OK
                              ? X509_verify_cert_error_string(SSL_get_verify_result(f->ssl))
                              : "the TLS handshake failed");
            }
            return;
        }
        f->state = FETCH_SENDING;
        f->want = POLLOUT;
        /* fall through */
    case FETCH_SENDING:
        while (f->sent < f->req_len) {
            if (f->ssl != NULL) {
                rc = SSL_write(f->ssl, f->req + f->sent, (int) (f->req_len - f->sent));
                if (rc <= 0) {
                    if (tls_wait(f, rc) != BN_AGAIN) {
                        failed(f, "cannot send the request");
                    }
                    return;
                }
                n = rc;
            } else {
                n = send(f->fd, f->req + f->sent, f->req_len - f->sent, MSG_NOSIGNAL);
                if (n == -1) {
                    if (errno != EAGAIN) {
                        failed(f, strerror(errno));
                    }
                    return;
                }
            }
            f->sent += (size_t) n;
        }
        f->state = FETCH_READING;
        f->want = POLLIN;
        /* fall through */
    case FETCH_READING:
        for (;;) {
            if (f->got == RESPONSE_MAX) {
                failed(f, "the answer is larger than 64 KiB");
                return;
            }
            if (f->ssl != NULL) {
                rc = SSL_read(f->ssl, f->resp + f->got, (int) (RESPONSE_MAX - f->got));
                if (rc <= 0) {
                    int e = SSL_get_error(f->ssl, rc);
                    if (e == SSL_ERROR_ZERO_RETURN) {
                        break; /* the end */
                    }
                    if (tls_wait(f, rc) != BN_AGAIN) {
                        failed(f, "cannot read the answer");
                    }
                    return;
                }
                n = rc;
            } else {
                n = recv(f->fd, f->resp + f->got, RESPONSE_MAX - f->got, 0);
                if (n == -1) {
                    if (errno != EAGAIN) {
                        failed(f, strerror(errno));
                    }
                    return;
                }
                if (n == 0) {
                    break;
                }
            }
            f->got += (size_t) n;
        }
        answered(f);
        return;
    }
}

size_t
bn_jwks_init(bn_conf_t *conf)
{
    for (size_t i = 0; i < conf->nauth_policies; i++) {
        nfetches += conf->auth_policies[i]->jwt.jwks != NULL;
    }
    if (nfetches == 0) {
        return 0;
    }
    fetches = calloc(nfetches, sizeof(*fetches));
    if (fetches == NULL) {
        nfetches = 0;
        return 0;
    }
    nfetches = 0;
    for (size_t i = 0; i < conf->nauth_policies; i++) {
        bn_conf_auth_t *a = conf->auth_policies[i];
        fetch_t *f;

        if (a->jwt.jwks == NULL) {
            continue;
        }
        f = &fetches[nfetches];
        f->policy = a;
        f->fd = -1;
        f->next_at = bn_current_msec;
        f->resp = malloc(RESPONSE_MAX);
        if (f->resp == NULL) {
            continue;
        }
        if (a->jwt.jwks_url.tls) {
            f->ctx = SSL_CTX_new(TLS_client_method());
            if (f->ctx == NULL
                || (a->jwt.jwks_ca != NULL
                        ? SSL_CTX_load_verify_file(f->ctx, a->jwt.jwks_ca)
                        : SSL_CTX_set_default_verify_paths(f->ctx))
                       != 1) {
                bn_log_error(BN_LOG_ERR, NULL, 0, "jwks_url \"%s\": cannot load the CAs to check it",
                             a->jwt.jwks_url.text);
                SSL_CTX_free(f->ctx);
                free(f->resp);
                continue;
            }
            SSL_CTX_set_verify(f->ctx, SSL_VERIFY_PEER, NULL);
            SSL_CTX_set_min_proto_version(f->ctx, TLS1_2_VERSION);
            /* Many servers close without close_notify.  A cut answer is
             * still caught: by its Content-Length or chunked framing, or
             * else by a JWKS that no longer parses. */
            SSL_CTX_set_options(f->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
        }
        nfetches++;
    }
    /* Each: its ask descriptor always, its socket while it fetches. */
    return 2 * nfetches;
}

uint64_t
bn_jwks_poll(struct pollfd *pfd, bn_jwks_fetch_t **owner, nfds_t *n)
{
    uint64_t next = bn_current_msec + 60 * 1000;

    for (size_t i = 0; i < nfetches; i++) {
        fetch_t *f = &fetches[i];

        if (f->state != FETCH_IDLE && f->deadline <= bn_current_msec) {
            failed(f, "no whole answer within jwks_timeout");
        }
        if (f->state == FETCH_IDLE && f->next_at <= bn_current_msec) {
            start(f);
        }
        pfd[*n].fd = bn_jwks_ask_fd(f->policy->jwt.jwks);
        pfd[*n].events = POLLIN;
        pfd[*n].revents = 0;
        owner[(*n)++] = f;
        if (f->state != FETCH_IDLE) {
            pfd[*n].fd = f->fd;
            pfd[*n].events = f->want;
            pfd[*n].revents = 0;
            owner[(*n)++] = f;
            next = BN_MIN(next, f->deadline);
        } else {
            next = BN_MIN(next, f->next_at);
        }
    }
    return next;
}

void
bn_jwks_event(bn_jwks_fetch_t *f, int fd, short revents)
{
    if (fd == bn_jwks_ask_fd(f->policy->jwt.jwks)) {
        /* A worker met an unknown kid: fetch now, unless an unknown kid
         * made one within the minute (a client could send kids at will). */
        if (bn_jwks_asked(f->policy->jwt.jwks) && f->state == FETCH_IDLE
            && (f->kid_at == 0 || bn_current_msec - f->kid_at >= ASK_INTERVAL)) {
            f->kid_at = bn_current_msec;
            f->next_at = bn_current_msec;
        }
        return;
    }
    (void) revents;
    step(f);
}
