/*
 * http2.c: HTTP/2 to clients (RFC 9113).  libnghttp2 does the framing,
 * HPACK and flow control; bouncer owns the socket, the event loop and what
 * a stream becomes: each request stream gets a stand-in client (http.c's
 * bn_http_stream_client()) whose head is the HTTP/1.1 head its fields make
 * (common/h2_head.c), and whose bytes come and go through the stream, so
 * a stream runs through the same phases, cache and upstreams as an
 * HTTP/1.1 request.
 *
 * Memory is bounded per stream: the request body waits in at most one
 * stream window (64 KiB, replenished only as the upstream takes it), the
 * response in at most H2_STREAM_OUT, refilled only as the client's window
 * lets frames go.  Frames leave through one buffer per connection.
 *
 * nghttp2's callbacks only note what happened: a stream that begins, data
 * that came, a stream that closed.  Requests start, and stand-ins hear of
 * their streams, after the library returns (a request may answer at once,
 * and must not do so from inside the library).
 */
#include "http2.h"
#include "count.h"
#include "pipe.h"
#include "spares.h"
#include "worker_state.h"
#include "../common/clock.h"
#include "../common/h2_head.h"

#include <nghttp2/nghttp2.h>
#include <sys/epoll.h>

#define H2_OUT_SIZE (32 * 1024)   /* a connection's frames, gathered for one write */
#define H2_STREAM_IN 65535        /* a stream's receive window, as RFC 9113 starts it */
#define H2_STREAM_OUT (32 * 1024) /* a stream's response bytes waiting for its window */
#define H2_CONN_WINDOW (1 << 20)  /* the connection's receive window */
#define H2_MAX_EMPTY_DATA 100     /* DATA frames with no byte and no END_STREAM */
#define H2_MAX_CONTROL 1000       /* PING and SETTINGS frames a connection may send */
#define H2_MAX_RESPONSE_HEAD (1024 * 1024)

/* Streams' response buffers, kept for the next stream (spares.c). */
static bn_spares_t stream_outs = { .destroy = free };

struct bn_h2_stream_s {
    bn_conn_stream_t io; /* first: the stand-in's conn.stream points here */
    int32_t id;
    bn_h2_conn_t *h2;
    bn_client_t *client; /* the stand-in; NULL once its request is over */
    bn_list_t link;      /* on h2->streams */
    bn_list_t start;     /* on h2->starting, once its head is whole */
    bn_h2_head_t head;   /* until the request starts */
    bn_posted_t wake;    /* tells the stand-in what wake_events say */
    uint32_t wake_events;
    bool started;
    bool heading;      /* its HEADERS began and have not ended */
    bool has_body;     /* its HEADERS came without END_STREAM */
    bool closed;       /* nghttp2 closed it: no frame of it goes or comes */
    bool head_request; /* HEAD: the response has no body */

    /* The request body, as DATA brought it (in_len bytes, in_pos read). */
    char *in;
    size_t in_pos, in_len;
    bool in_eof;     /* END_STREAM came */
    bool chunked;    /* no content-length: chunked to the HTTP/1.1 side */
    bool terminated; /* ... and its last chunk was read */
    size_t chunk_left;
    char pend[24]; /* chunk framing not read yet */
    uint8_t pend_pos, pend_len;

    /* The response: its HTTP/1.1 head until the blank line, then its body. */
    char *hbuf;
    size_t hlen, hcap;
    bool submitted; /* HEADERS went to nghttp2 */
    bool no_body;   /* ... with END_STREAM */
    bool eof;       /* the body is all in out */
    bool deferred;  /* the data source waits for out */
    bool discard;   /* answered before its body ended: drop what comes, then reset */
    bool end_sent;  /* our END_STREAM went */
    bool cut;       /* the response ended short: reset once what came of it is out */
    bool ours;      /* bouncer reset it for its own reasons, not the client's */
    char *out;
    size_t out_pos, out_len;
};

struct bn_h2_conn_s {
    nghttp2_session *session;
    bn_client_t *client;
    bn_list_t streams;  /* every stream we hold */
    bn_list_t starting; /* heads complete, requests not begun */
    bn_list_t link;     /* on conns */
    unsigned nopen;     /* streams not closed yet */
    unsigned draining;  /* of them, with no request left: only their response to send */
    unsigned heading;   /* of them, whose request head is still coming */
    unsigned resets, empty_data, control;
    int32_t last_id; /* the last stream a GOAWAY of ours lets start */
    bool preface;    /* the client's SETTINGS came */
    bool goaway;     /* we sent one: no new streams */
    bool calmed;     /* told ENHANCE_YOUR_CALM */
    int timer_kind;
    const uint8_t *pend; /* the part of nghttp2's last frame not copied to out yet */
    size_t pend_len;
    bn_posted_t flush;
    bn_buf_t out;
    char outbuf[H2_OUT_SIZE];
};

enum { TIMER_NONE = 0, TIMER_PREFACE, TIMER_IDLE, TIMER_HEAD, TIMER_SEND };

static bn_list_t conns = BN_LIST_INIT(conns);
static const bn_h2_owner_t *owner;
static nghttp2_session_callbacks *callbacks;
static nghttp2_option *options;

static int h2_flush(bn_h2_conn_t *h2);

static void
post_flush(bn_h2_conn_t *h2)
{
    bn_event_post(&h2->flush);
}

static void
wake(bn_h2_stream_t *s, uint32_t events)
{
    if (s->client != NULL && s->started) {
        s->wake_events |= events;
        bn_event_post(&s->wake);
    }
}

static void
stream_free(bn_h2_stream_t *s)
{
    bn_h2_conn_t *h2 = s->h2;

    if (!s->closed) {
        h2->nopen--;
    }
    if (s->heading) {
        h2->heading--;
    }
    if (s->started && s->client == NULL && !s->closed) {
        h2->draining--;
    }
    if (bn_list_linked(&s->start)) {
        bn_list_remove(&s->start);
    }
    bn_list_remove(&s->link);
    bn_event_unpost(&s->wake);
    if (!s->closed) {
        nghttp2_session_set_stream_user_data(h2->session, s->id, NULL);
    }
    bn_h2_head_free(&s->head);
    free(s->in);
    free(s->hbuf);
    if (s->out != NULL) {
        bn_spare_put(&stream_outs, s->out);
    }
    free(s);
}

static void
reset_stream(bn_h2_stream_t *s, uint32_t code)
{
    if (!s->closed) {
        s->ours = true;
        nghttp2_submit_rst_stream(s->h2->session, NGHTTP2_FLAG_NONE, s->id, code);
        post_flush(s->h2);
    }
}

/* A flood, noted (and counted) once a connection: false when it already was. */
static bool
first_calm(bn_h2_conn_t *h2)
{
    if (h2->calmed) {
        return false;
    }
    h2->calmed = true;
    bn_count_h2_calm(h2->client);
    return true;
}

/* Ends the connection with GOAWAY: a client that floods it. */
static void
calm(bn_h2_conn_t *h2, const char *why)
{
    if (!first_calm(h2)) {
        return; /* one GOAWAY is enough */
    }
    bn_log_error(BN_LOG_INFO, &h2->client->log, 0, "%s: the HTTP/2 connection is closed", why);
    nghttp2_session_terminate_session(h2->session, NGHTTP2_ENHANCE_YOUR_CALM);
    post_flush(h2);
}

/* ---- the stand-in's side ------------------------------------------------------------ */

static void
stream_wake(bn_posted_t *p)
{
    bn_h2_stream_t *s = p->data;
    uint32_t ev = s->wake_events;

    s->wake_events = 0;
    if (s->client == NULL) {
        return;
    }
    if (s->closed) {
        owner->stream_aborted(s->client, "client reset the stream");
        return;
    }
    s->client->conn.io.handler(&s->client->conn.io, ev);
}

static void
consume(bn_h2_stream_t *s, size_t n)
{
    if (n > 0 && !s->closed) {
        nghttp2_session_consume(s->h2->session, s->id, n);
        post_flush(s->h2);
    }
}

static ssize_t
stream_recv(bn_conn_t *sc, char *p, size_t n)
{
    bn_h2_stream_t *s = (bn_h2_stream_t *) sc->stream;
    size_t got = 0, k;

    if (s->closed) {
        errno = ECONNRESET;
        return BN_ERROR;
    }
    while (got < n) {
        if (s->pend_pos < s->pend_len) {
            k = BN_MIN((size_t) (s->pend_len - s->pend_pos), n - got);
            memcpy(p + got, s->pend + s->pend_pos, k);
            s->pend_pos += (uint8_t) k;
            got += k;
            continue;
        }
        if (s->in_pos < s->in_len && (!s->chunked || s->chunk_left > 0)) {
            k = BN_MIN(s->in_len - s->in_pos, n - got);
            if (s->chunked) {
                k = BN_MIN(k, s->chunk_left);
                s->chunk_left -= k;
                if (s->chunk_left == 0) {
                    memcpy(s->pend, "\r\n", 2);
                    s->pend_pos = 0, s->pend_len = 2;
                }
            }
            memcpy(p + got, s->in + s->in_pos, k);
            s->in_pos += k;
            got += k;
            if (s->in_pos == s->in_len) {
                s->in_pos = s->in_len = 0;
            }
            consume(s, k);
            continue;
        }
        if (s->chunked && s->in_len > s->in_pos) {
            s->chunk_left = s->in_len - s->in_pos;
            s->pend_len = (uint8_t) snprintf(s->pend, sizeof(s->pend), "%zx\r\n", s->chunk_left);
            s->pend_pos = 0;
            continue;
        }
        if (s->chunked && s->in_eof && !s->terminated) {
            s->terminated = true;
            memcpy(s->pend, "0\r\n\r\n", 5);
            s->pend_pos = 0, s->pend_len = 5;
            continue;
        }
        break;
    }
    if (got > 0) {
        return (ssize_t) got;
    }
    if (s->in_eof) {
        return 0;
    }
    sc->readable = false;
    return BN_AGAIN;
}

/* A stream's response head, as bouncer wrote it for HTTP/1.1, goes as
 * HEADERS: names in lower case, the status line as :status, what speaks
 * of an HTTP/1.1 connection left out (RFC 9113 8.2.2). */
static ssize_t read_body(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *user_data);

/* Whether a response field name, lower case, speaks of the HTTP/1.1
 * connection and has no place in HTTP/2 (RFC 9113 8.2.2). */
static bool
connection_field(const char *p, size_t nl)
{
    switch (nl) {
    case 7:
        return memcmp(p, "upgrade", 7) == 0;
    case 10:
        return memcmp(p, "connection", 10) == 0 || memcmp(p, "keep-alive", 10) == 0;
    case 16:
        return memcmp(p, "proxy-connection", 16) == 0;
    case 17:
        return memcmp(p, "transfer-encoding", 17) == 0;
    default:
        return false;
    }
}

/*
 * Whether a response field's value is new in every response: X-Request-Id,
 * and Set-Cookie, which is one user's.  Such a value is sent literally, not
 * indexed (RFC 7541 6.2.3): in the dynamic table it would only push out
 * entries the next responses could use, and a cookie there could be probed
 * by another request on the connection (RFC 7541 7.1.3).
 */
static bool
unique_field(const char *p, size_t nl)
{
    return (nl == 12 && memcmp(p, "x-request-id", 12) == 0)
           || (nl == 10 && memcmp(p, "set-cookie", 10) == 0);
}

/* The head's fields fit nva_stack most of the time: no allocation then. */
#define H2_NV_STACK 48

/* Submits the head at hbuf[0..hlen), which it lowercases in place. */
static int
submit_head(bn_h2_stream_t *s, char *hbuf, size_t hlen)
{
    char status[4], *p = hbuf, *end = hbuf + hlen, *eol;
    nghttp2_nv nva_stack[H2_NV_STACK], *nva = nva_stack;
    nghttp2_data_provider prd = { .source.ptr = s, .read_callback = read_body };
    size_t n = 1, max = 2;
    bool zero_length = false;
    int code, rc;

    if (hlen < 12 || memcmp(p, "HTTP/1.", 7) != 0) {
        return BN_ERROR;
    }
    memcpy(status, p + 9, 3);
    status[3] = '\0';
    code = atoi(status);
    if (code < 100 || code > 999) {
        return BN_ERROR;
    }
    for (char *q = p; (q = memchr(q, '\n', (size_t) (end - q))) != NULL; q++) {
        max++;
    }
    if (max > H2_NV_STACK && (nva = malloc(sizeof(*nva) * max)) == NULL) {
        return BN_ERROR;
    }
    nva[0] = (nghttp2_nv){ (uint8_t *) ":status", (uint8_t *) status, 7, 3, NGHTTP2_NV_FLAG_NONE };
    p = (char *) memchr(p, '\n', (size_t) (end - p)) + 1;
    for (; p < end && (eol = memchr(p, '\n', (size_t) (end - p))) != NULL; p = eol + 1) {
        char *colon = memchr(p, ':', (size_t) (eol - p)), *v, *ve = eol;
        size_t nl;

        if (colon == NULL) {
            continue; /* the blank line */
        }
        nl = (size_t) (colon - p);
        for (size_t i = 0; i < nl; i++) {
            p[i] = (char) (p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
        }
        if (connection_field(p, nl)) {
            continue;
        }
        v = colon + 1;
        while (v < ve && (*v == ' ' || *v == '\t')) {
            v++;
        }
        while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) {
            ve--;
        }
        if (nl == 14 && memcmp(p, "content-length", 14) == 0 && ve - v == 1 && *v == '0') {
            zero_length = true;
        }
        nva[n++] =
            (nghttp2_nv){ (uint8_t *) p, (uint8_t *) v, nl, (size_t) (ve - v),
                          unique_field(p, nl) ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE };
    }
    if (code < 200) {
        /* Interim (100 Continue, 103 Early Hints): HEADERS of its own,
         * before the final ones (RFC 9113 8.1); 101 has no HTTP/2 form. */
        rc = code == 101 ? 0
                         : nghttp2_submit_headers(s->h2->session, NGHTTP2_FLAG_NONE, s->id, NULL,
                                                  nva, n, NULL);
        if (nva != nva_stack) {
            free(nva);
        }
        if (rc != 0) {
            return BN_ERROR;
        }
        post_flush(s->h2);
        return BN_DECLINED;
    }
    s->no_body = s->head_request || code == 204 || code == 304 || zero_length;
    rc = nghttp2_submit_response(s->h2->session, s->id, nva, n, s->no_body ? NULL : &prd);
    if (nva != nva_stack) {
        free(nva);
    }
    if (rc != 0) {
        return BN_ERROR;
    }
    s->submitted = true;
    post_flush(s->h2);
    return BN_OK;
}

/* Takes response head bytes; returns how many of p were head, or -1. */
static ssize_t
take_head(bn_h2_stream_t *s, const char *p, size_t n)
{
    /* A head that comes whole, as nearly all do, is lowercased and
     * submitted from here: nghttp2 copies what it is given. */
    static char whole[16384];
    size_t from = s->hlen > 3 ? s->hlen - 3 : 0, used;
    char *e;

    if (s->hlen == 0 && (e = memmem(p, n, "\r\n\r\n", 4)) != NULL
        && (used = (size_t) (e + 4 - p)) <= sizeof(whole)) {
        memcpy(whole, p, used);
        switch (submit_head(s, whole, used)) {
        case BN_OK:
        case BN_DECLINED:
            return (ssize_t) used;
        default:
            return -1;
        }
    }
    if (s->hlen + n > s->hcap) {
        size_t cap = BN_MAX(s->hcap * 2, BN_MAX(s->hlen + n, 4096));
        char *m;
        if (cap > H2_MAX_RESPONSE_HEAD) {
            return -1;
        }
        if ((m = realloc(s->hbuf, cap)) == NULL) {
            return -1;
        }
        s->hbuf = m;
        s->hcap = cap;
    }
    memcpy(s->hbuf + s->hlen, p, n);
    s->hlen += n;
    e = memmem(s->hbuf + from, s->hlen - from, "\r\n\r\n", 4);
    if (e == NULL) {
        return (ssize_t) n;
    }
    used = n - (s->hlen - (size_t) (e + 4 - s->hbuf));
    s->hlen = (size_t) (e + 4 - s->hbuf);
    switch (submit_head(s, s->hbuf, s->hlen)) {
    case BN_OK:
        free(s->hbuf);
        s->hbuf = NULL;
        s->hlen = s->hcap = 0;
        return (ssize_t) used;
    case BN_DECLINED:
        s->hlen = 0; /* the final head comes next */
        return (ssize_t) used;
    default:
        return -1;
    }
}

static ssize_t
stream_sendv(bn_conn_t *sc, struct iovec *iov, int n)
{
    bn_h2_stream_t *s = (bn_h2_stream_t *) sc->stream;
    size_t total = 0;

    if (s->closed) {
        errno = EPIPE;
        return BN_ERROR;
    }
    for (int i = 0; i < n; i++) {
        const char *p = iov[i].iov_base;
        size_t len = iov[i].iov_len, k;

        while (len > 0) {
            if (!s->submitted) {
                ssize_t h = take_head(s, p, len);
                if (h < 0) {
                    errno = EPROTO;
                    return BN_ERROR;
                }
                p += h, len -= (size_t) h, total += (size_t) h;
                continue;
            }
            if (s->no_body) {
                total += len; /* a HEAD's, a 204's: no byte of a body goes */
                break;
            }
            if (s->out == NULL && (s->out = bn_spare_get(&stream_outs)) == NULL
                && (s->out = malloc(H2_STREAM_OUT)) == NULL) {
                errno = ENOMEM;
                return BN_ERROR;
            }
            if (s->out_pos > 0 && s->out_len == H2_STREAM_OUT) {
                memmove(s->out, s->out + s->out_pos, s->out_len - s->out_pos);
                s->out_len -= s->out_pos;
                s->out_pos = 0;
            }
            k = BN_MIN(len, H2_STREAM_OUT - s->out_len);
            if (k == 0) {
                sc->writable = false;
                return total > 0 ? (ssize_t) total : BN_AGAIN;
            }
            memcpy(s->out + s->out_len, p, k);
            s->out_len += k;
            p += k, len -= k, total += k;
            if (s->deferred) {
                s->deferred = false;
                nghttp2_session_resume_data(s->h2->session, s->id);
            }
            post_flush(s->h2);
        }
    }
    return (ssize_t) total;
}

static ssize_t
read_body(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length, uint32_t *data_flags,
          nghttp2_data_source *source, void *user_data)
{
    bn_h2_stream_t *s = source->ptr;
    size_t k = BN_MIN(length, s->out_len - s->out_pos);

    if (k > 0) {
        memcpy(buf, s->out + s->out_pos, k);
        s->out_pos += k;
        if (s->out_pos == s->out_len) {
            s->out_pos = s->out_len = 0;
        }
        if (s->client != NULL && !s->client->conn.writable) {
            wake(s, EPOLLOUT);
        }
    }
    if (s->out_len == 0 && s->eof) {
        if (s->cut) {
            /* What came went; now the stream ends with RST_STREAM
             * INTERNAL_ERROR, as an HTTP/1.1 client sees the close. */
            return k > 0 ? (ssize_t) k : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        return (ssize_t) k;
    }
    if (k == 0) {
        s->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t) k;
}

void
bn_h2_stream_detach(bn_client_t *sc, bool complete)
{
    bn_h2_stream_t *s = (bn_h2_stream_t *) sc->conn.stream;

    sc->conn.stream = NULL;
    s->client = NULL;
    bn_event_unpost(&s->wake);
    if (s->closed) {
        stream_free(s);
        return;
    }
    s->h2->draining++;
    if (!s->submitted) {
        reset_stream(s, NGHTTP2_INTERNAL_ERROR);
        return;
    }
    if (!complete && !s->no_body) {
        /* Cut short (the upstream closed early): the HEADERS and what came
         * of the body still go, then the reset (read_body). */
        s->cut = true;
        s->ours = true;
    }
    s->eof = true;
    if (s->deferred) {
        s->deferred = false;
        nghttp2_session_resume_data(s->h2->session, s->id);
    }
    if (!s->in_eof) {
        /* Answered before the body ended (RFC 9113 8.1): what is left of
         * it is dropped, and once the response is out the stream is reset
         * with NO_ERROR so that the client stops sending. */
        s->discard = true;
        consume(s, s->in_len - s->in_pos);
        s->in_pos = s->in_len = 0;
        if (s->end_sent) {
            reset_stream(s, NGHTTP2_NO_ERROR);
        }
    }
    post_flush(s->h2);
}

/* ---- nghttp2's callbacks -------------------------------------------------------------- */

static int
on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    bn_h2_conn_t *h2 = user_data;
    bn_conf_t *conf = bn_heritage.conf;
    bn_h2_stream_t *s;

    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
        return 0;
    }
    if (h2->nopen >= conf->limits.http2_max_concurrent_streams) {
        /* Before our SETTINGS are acknowledged a client may not know the
         * limit yet: refused, which it may retry (RFC 9113 5.1.2). */
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_REFUSED_STREAM);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_INTERNAL_ERROR);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    s->io.recv = stream_recv;
    s->io.sendv = stream_sendv;
    s->id = frame->hd.stream_id;
    s->h2 = h2;
    s->wake.handler = stream_wake;
    s->wake.data = s;
    bn_h2_head_init(&s->head, conf->limits.http2_max_header_list_size);
    bn_list_insert_tail(&h2->streams, &s->link);
    h2->nopen++;
    s->heading = true;
    h2->heading++;
    nghttp2_session_set_stream_user_data(session, s->id, s);
    return 0;
}

static int
malformed(bn_h2_conn_t *h2, int32_t id, const char *why)
{
    bn_log_error(BN_LOG_INFO, &h2->client->log, 0,
                 "client sent a malformed HTTP/2 request on stream %d: %s", id, why);
    nghttp2_submit_rst_stream(h2->session, NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

static int
on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
          const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
    bn_h2_stream_t *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);

    if (s == NULL || s->started || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
        return 0; /* trailers: not passed on */
    }
    if (bn_h2_head_field(&s->head, name, namelen, value, valuelen) != BN_OK) {
        return malformed(user_data, frame->hd.stream_id, s->head.error);
    }
    return 0;
}

/* A field nghttp2's own checks refused (RFC 9113 8.2.1): the request is
 * malformed, not a field to ignore. */
/* A field nghttp2's own checks refused (RFC 9113 8.2.1): the request is
 * malformed, not a field to ignore.  Ours say why, where they can. */
static int
on_invalid_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                  size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                  void *user_data)
{
    bn_h2_stream_t *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    const char *why = "a field nghttp2 found invalid";

    if (s != NULL && !s->started
        && bn_h2_head_field(&s->head, name, namelen, value, valuelen) != BN_OK) {
        why = s->head.error;
    }
    return malformed(user_data, frame->hd.stream_id, why);
}

static int
on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
              void *user_data)
{
    bn_h2_stream_t *s = nghttp2_session_get_stream_user_data(session, id);

    if (s == NULL || s->discard) {
        nghttp2_session_consume(session, id, len);
        return 0;
    }
    if (s->in == NULL && (s->in = malloc(H2_STREAM_IN)) == NULL) {
        nghttp2_session_consume(session, id, len);
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
        return 0;
    }
    if (s->in_len + len > H2_STREAM_IN && s->in_pos > 0) {
        memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
        s->in_len -= s->in_pos;
        s->in_pos = 0;
    }
    if (s->in_len + len > H2_STREAM_IN) {
        /* More than the window we gave: nghttp2 would have refused it. */
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_FLOW_CONTROL_ERROR);
        return 0;
    }
    memcpy(s->in + s->in_len, data, len);
    s->in_len += len;
    wake(s, EPOLLIN);
    return 0;
}

static int
on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    bn_h2_conn_t *h2 = user_data;
    bn_h2_stream_t *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

    switch (frame->hd.type) {
    case NGHTTP2_SETTINGS:
    case NGHTTP2_PING:
        if (frame->hd.type == NGHTTP2_SETTINGS) {
            h2->preface = true;
        }
        if (!(frame->hd.flags & NGHTTP2_FLAG_ACK) && ++h2->control > H2_MAX_CONTROL) {
            calm(h2, "client sent too many PING or SETTINGS frames");
        }
        break;
    case NGHTTP2_HEADERS:
        if (s == NULL) {
            break;
        }
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            /* DATA with END_STREAM may follow in this same read, before
             * the request starts: whether there is a body is said here. */
            s->in_eof = end;
            s->has_body = !end;
            s->heading = false;
            h2->heading--;
            bn_list_insert_tail(&h2->starting, &s->start);
        } else if (end) {
            s->in_eof = true; /* trailers end the body */
            wake(s, EPOLLIN);
        }
        break;
    case NGHTTP2_DATA:
        if (frame->hd.length == 0 && !end && ++h2->empty_data > H2_MAX_EMPTY_DATA) {
            calm(h2, "client sent too many empty DATA frames");
        }
        if (s != NULL && end) {
            s->in_eof = true;
            wake(s, EPOLLIN);
        }
        break;
    }
    return 0;
}

static int
on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    bn_h2_stream_t *s;

    if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS)
        || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        return 0;
    }
    s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (s != NULL) {
        s->end_sent = true;
        if (s->discard) {
            reset_stream(s, NGHTTP2_NO_ERROR);
        }
    }
    return 0;
}

static int
on_stream_close(nghttp2_session *session, int32_t id, uint32_t error_code, void *user_data)
{
    bn_h2_conn_t *h2 = user_data;
    bn_h2_stream_t *s = nghttp2_session_get_stream_user_data(session, id);

    if (s == NULL) {
        return 0;
    }
    /*
     * A stream that ends before its response did counts against
     * http2_max_resets, whoever reset it: the client (rapid reset), or
     * bouncer for a stream error the client provoked (a window overflow,
     * more DATA than content-length: "MadeYouReset").  Either way a request
     * may have gone upstream for nothing.  Not the resets bouncer makes for
     * its own reasons (ours: an upstream that cut its answer short).
     */
    if (!s->end_sent && !s->ours && ++h2->resets > bn_heritage.conf->limits.http2_max_resets) {
        calm(h2, error_code == NGHTTP2_NO_ERROR || error_code == NGHTTP2_CANCEL
                     ? "client reset more streams than http2_max_resets"
                     : "client made bouncer reset more streams than http2_max_resets");
    }
    if (s->started && s->client == NULL) {
        h2->draining--;
    }
    s->closed = true;
    h2->nopen--;
    if (bn_list_linked(&s->start)) {
        bn_list_remove(&s->start);
    }
    if (s->client != NULL) {
        /* Reset under its request: the stand-in hears of it from the loop. */
        s->wake_events |= EPOLLIN | EPOLLOUT | EPOLLRDHUP;
        bn_event_post(&s->wake);
        return 0;
    }
    stream_free(s);
    return 0;
}

/* ---- the connection -------------------------------------------------------------------- */

/* The requests whose heads are whole begin, now that nghttp2 has returned. */
static void
start_streams(bn_h2_conn_t *h2)
{
    bn_conf_t *conf = bn_heritage.conf;
    bn_client_t *c = h2->client;

    while (!bn_list_empty(&h2->starting)) {
        bn_h2_stream_t *s = bn_list_data(bn_list_head(&h2->starting), bn_h2_stream_t, start);
        bn_client_t *sc;

        bn_list_remove(&s->start);
        if (h2->goaway && s->id > h2->last_id) {
            /* Came in the read that took the last stream GOAWAY allows. */
            reset_stream(s, NGHTTP2_REFUSED_STREAM);
            continue;
        }
        sc = owner->stream_client(c, &s->io, (uint32_t) s->id);
        if (sc == NULL) {
            bn_log_error(BN_LOG_CRIT, &c->log, 0, "out of memory for an HTTP/2 stream");
            reset_stream(s, NGHTTP2_INTERNAL_ERROR);
            continue;
        }
        if (bn_h2_head_write(&s->head, s->has_body, &sc->in) != BN_OK) {
            malformed(h2, s->id, s->head.error);
            sc->conn.stream = NULL;
            owner->close(sc);
            continue;
        }
        sc->head_cut = s->head.cut;
        s->head_request =
            s->head.method_len == 4 && memcmp(s->head.buf + s->head.method, "HEAD", 4) == 0;
        s->chunked = s->has_body && !s->head.has_length;
        bn_h2_head_free(&s->head);
        s->client = sc;
        s->started = true;
        if (++c->nrequests >= conf->limits.keepalive_requests && !h2->goaway) {
            /* keepalive_requests counts streams too: this one is the last. */
            nghttp2_submit_goaway(h2->session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR, NULL, 0);
            h2->goaway = true;
            h2->last_id = s->id;
        }
        owner->stream_start(sc);
        post_flush(h2);
    }
}

static void
close_h2(bn_h2_conn_t *h2)
{
    owner->close(h2->client);
}

static void
set_timer(bn_h2_conn_t *h2, bool progress)
{
    bn_conf_t *conf = bn_heritage.conf;
    bn_client_t *c = h2->client;
    int kind;

    if (bn_buf_len(&h2->out) > 0 || h2->draining > 0) {
        kind = TIMER_SEND; /* the socket, or the client's windows, hold responses back */
    } else if (h2->heading > 0) {
        /* A head in HEADERS and CONTINUATION frames is one block, nothing
         * may come between them: the whole connection waits for it. */
        kind = TIMER_HEAD;
    } else if (h2->nopen == 0) {
        kind = h2->preface ? TIMER_IDLE : TIMER_PREFACE;
    } else {
        kind = TIMER_NONE; /* each request keeps its own time */
    }
    if (kind == h2->timer_kind && !(kind == TIMER_SEND && progress)) {
        return;
    }
    h2->timer_kind = kind;
    switch (kind) {
    case TIMER_SEND:
        bn_timer_set(&c->timer, conf->limits.send_timeout);
        break;
    case TIMER_IDLE:
        bn_timer_set(&c->timer, conf->limits.http2_idle_timeout);
        break;
    case TIMER_PREFACE:
    case TIMER_HEAD:
        bn_timer_set(&c->timer, conf->limits.header_timeout);
        break;
    default:
        bn_timer_del(&c->timer);
    }
}

/* Sends what nghttp2 has, gathered into out; closes the connection once
 * the session wants nothing more, or a send fails: then BN_DONE, and h2
 * is gone. */
static int
h2_flush(bn_h2_conn_t *h2)
{
    bn_client_t *c = h2->client;
    bool progress = false;

    bn_event_unpost(&h2->flush);
    for (;;) {
        if (bn_buf_len(&h2->out) > 0) {
            ssize_t n = bn_conn_send_buf(&c->conn, &h2->out, 0);
            if (n == BN_ERROR) {
                if (errno != EPIPE && errno != ECONNRESET) {
                    bn_log_error(BN_LOG_INFO, &c->log, errno, "send() failed");
                }
                close_h2(h2);
                return BN_DONE;
            }
            progress = progress || n > 0;
            if (bn_buf_len(&h2->out) > 0) {
                break; /* EPOLLOUT brings us back */
            }
        }
        for (;;) {
            size_t k;
            if (h2->pend_len == 0) {
                ssize_t n = nghttp2_session_mem_send(h2->session, &h2->pend);
                if (n < 0) {
                    bn_log_error(BN_LOG_ERR, &c->log, 0, "nghttp2_session_mem_send() failed: %s",
                                 nghttp2_strerror((int) n));
                    close_h2(h2);
                    return BN_DONE;
                }
                if (n == 0) {
                    break;
                }
                h2->pend_len = (size_t) n;
            }
            k = BN_MIN(h2->pend_len, bn_buf_room(&h2->out));
            memcpy(h2->out.last, h2->pend, k);
            h2->out.last += k;
            h2->pend += k;
            h2->pend_len -= k;
            if (h2->pend_len > 0) {
                break;
            }
        }
        if (bn_buf_len(&h2->out) == 0) {
            break;
        }
    }
    if (bn_buf_len(&h2->out) == 0 && h2->pend_len == 0 && !nghttp2_session_want_read(h2->session)
        && !nghttp2_session_want_write(h2->session)) {
        close_h2(h2);
        return BN_DONE;
    }
    set_timer(h2, progress);
    return BN_OK;
}

static void
flush_posted(bn_posted_t *p)
{
    (void) h2_flush(p->data);
}

/* Hands bytes to nghttp2; BN_ERROR when the connection was closed. */
static int
feed(bn_h2_conn_t *h2, const char *p, size_t n)
{
    ssize_t rc = nghttp2_session_mem_recv(h2->session, (const uint8_t *) p, n);

    if (rc < 0) {
        /* A flood nghttp2 counted (PING or SETTINGS answers it cannot
         * send, CONTINUATION frames without end) is told to calm down. */
        bool flood = rc == NGHTTP2_ERR_FLOODED || rc == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
        bn_log_error(BN_LOG_INFO, &h2->client->log, 0, "client sent invalid HTTP/2: %s",
                     nghttp2_strerror((int) rc));
        if (flood) {
            (void) first_calm(h2);
        }
        if (rc != NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
            /* What nghttp2 queued (its GOAWAY) goes if it can, at once. */
            nghttp2_session_terminate_session(h2->session, flood ? NGHTTP2_ENHANCE_YOUR_CALM
                                                                 : NGHTTP2_PROTOCOL_ERROR);
            if (h2_flush(h2) == BN_DONE) {
                return BN_ERROR;
            }
        }
        close_h2(h2);
        return BN_ERROR;
    }
    start_streams(h2);
    return BN_OK;
}

void
bn_h2_event(bn_client_t *c)
{
    bn_h2_conn_t *h2 = c->h2;
    char buf[16384];
    ssize_t n;

    /* Read until EAGAIN, not only while an event says so: TLS may hold
     * whole records read ahead with the last ones. */
    while (nghttp2_session_want_read(h2->session)) {
        n = bn_conn_recv(&c->conn, buf, sizeof(buf));
        if (n == BN_AGAIN) {
            break;
        }
        if (n <= 0) {
            if (n == BN_ERROR && errno != ECONNRESET) {
                bn_log_error(BN_LOG_INFO, &c->log, errno, "recv() failed");
            }
            close_h2(h2);
            return;
        }
        if (feed(h2, buf, (size_t) n) != BN_OK) {
            return;
        }
    }
    (void) h2_flush(h2);
}

void
bn_h2_timeout(bn_client_t *c)
{
    bn_h2_conn_t *h2 = c->h2;

    if (h2->timer_kind == TIMER_SEND) {
        bn_log_error(BN_LOG_INFO, &c->log, 0, "client timed out reading HTTP/2 responses");
        close_h2(h2);
        return;
    }
    if (h2->timer_kind == TIMER_HEAD) {
        bn_log_error(BN_LOG_INFO, &c->log, 0, "client timed out sending an HTTP/2 request head");
    }
    /* Idle, no preface or a head not whole in time: GOAWAY, then the close
     * once it is out. */
    h2->timer_kind = TIMER_NONE;
    nghttp2_session_terminate_session(h2->session, NGHTTP2_NO_ERROR);
    (void) h2_flush(h2);
}

static int
setup(void)
{
    if (callbacks != NULL) {
        return BN_OK;
    }
    if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&options) != 0) {
        return BN_ERROR;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_invalid_header_callback(callbacks, on_invalid_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
    /* Windows open only as the upstream takes a body (consume()). */
    nghttp2_option_set_no_auto_window_update(options, 1);
    /* The library's own limits, beyond bouncer's: CONTINUATION frames per
     * header block (CVE-2024-28182), RST_STREAM at most 1000 at once and
     * 33 a second after, SETTINGS and PING answers queued unsent, entries
     * in one SETTINGS frame. */
    nghttp2_option_set_max_continuations(options, 8);
    nghttp2_option_set_stream_reset_rate_limit(options, 1000, 33);
    nghttp2_option_set_max_outbound_ack(options, 1000);
    nghttp2_option_set_max_settings(options, 32);
    return BN_OK;
}

void
bn_h2_start(bn_client_t *c, const bn_h2_owner_t *o)
{
    bn_conf_t *conf = bn_heritage.conf;
    bn_h2_conn_t *h2;
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, conf->limits.http2_max_concurrent_streams },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
          (uint32_t) conf->limits.http2_max_header_list_size },
        { NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
    };

    owner = o;
    if (setup() != BN_OK || (h2 = calloc(1, sizeof(*h2))) == NULL) {
        bn_log_error(BN_LOG_CRIT, &c->log, 0, "out of memory for an HTTP/2 connection");
        owner->close(c);
        return;
    }
    if (nghttp2_session_server_new2(&h2->session, callbacks, h2, options) != 0) {
        free(h2);
        bn_log_error(BN_LOG_CRIT, &c->log, 0, "out of memory for an HTTP/2 connection");
        owner->close(c);
        return;
    }
    h2->client = c;
    bn_list_init(&h2->streams);
    bn_list_init(&h2->starting);
    h2->flush.handler = flush_posted;
    h2->flush.data = h2;
    bn_buf_init(&h2->out, h2->outbuf, sizeof(h2->outbuf));
    bn_list_insert_tail(&conns, &h2->link);
    c->h2 = h2;
    c->state = BN_CLIENT_H2;
    bn_count_h2(c, 1);
    bn_timer_del(&c->timer);
    nghttp2_submit_settings(h2->session, NGHTTP2_FLAG_NONE, iv, BN_NELEMS(iv));
    nghttp2_session_set_local_window_size(h2->session, NGHTTP2_FLAG_NONE, 0, H2_CONN_WINDOW);
    if (bn_worker_quitting) {
        nghttp2_submit_goaway(h2->session, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, NULL, 0);
        h2->goaway = true; /* last_id 0: no stream starts */
    }
    if (bn_buf_len(&c->in) > 0) {
        /* h2c: the preface, maybe more, came as an HTTP/1.1 head would. */
        int rc = feed(h2, c->in.pos, bn_buf_len(&c->in));
        if (rc != BN_OK) {
            return;
        }
    }
    owner->release_in(c);
    bn_h2_event(c);
}

void
bn_h2_close(bn_client_t *c)
{
    bn_h2_conn_t *h2 = c->h2;
    bn_list_t *it, *next;

    bn_list_remove(&h2->link);
    bn_event_unpost(&h2->flush);
    bn_list_foreach(&h2->streams, it, next)
    {
        bn_h2_stream_t *s = bn_list_data(it, bn_h2_stream_t, link);
        s->closed = true; /* the session is going: nothing more is sent of it */
        if (s->client != NULL) {
            owner->stream_aborted(s->client, "the HTTP/2 connection closed");
        }
    }
    /* What the aborted requests left, and the streams without one. */
    while (!bn_list_empty(&h2->streams)) {
        bn_h2_stream_t *s = bn_list_data(bn_list_head(&h2->streams), bn_h2_stream_t, link);
        stream_free(s);
    }
    nghttp2_session_del(h2->session);
    free(h2);
    c->h2 = NULL;
    bn_count_h2(c, -1);
}

void
bn_h2_quit(void)
{
    bn_list_t *it, *next;

    bn_list_foreach(&conns, it, next)
    {
        bn_h2_conn_t *h2 = bn_list_data(it, bn_h2_conn_t, link);
        if (!h2->goaway) {
            h2->last_id = nghttp2_session_get_last_proc_stream_id(h2->session);
            nghttp2_submit_goaway(h2->session, NGHTTP2_FLAG_NONE, h2->last_id, NGHTTP2_NO_ERROR,
                                  NULL, 0);
            h2->goaway = true;
            post_flush(h2);
        }
    }
}
