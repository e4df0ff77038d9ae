/*
 * headers.c: the heads bouncer writes.  The request head for the upstream
 * (hop-by-hop headers out, X-Forwarded-* or Forwarded in, the route's rules
 * applied, framing of bouncer's own), and the response head for the client
 * (the same the other way, plus the body framing it will get).  Built with
 * memcpy into buffers sized beforehand: this runs for every request.
 */
#include "headers.h"
#include "compress.h"
#include "pipe.h"
#include "request.h"
#include "trace.h"
#include "upstream.h"
#include "variables.h"
#include "worker_state.h"
#include "../common/clock.h"
#include "../common/encoding.h"
#include "../common/http_cache.h"
#include "../common/str.h"

#include <openssl/evp.h>
#include <strings.h>

static const struct {
    int status;
    const char *reason;
} reasons[] = {
    { 100, "Continue" },
    { 101, "Switching Protocols" },
    { 103, "Early Hints" },
    { 200, "OK" },
    { 201, "Created" },
    { 202, "Accepted" },
    { 204, "No Content" },
    { 206, "Partial Content" },
    { 301, "Moved Permanently" },
    { 302, "Found" },
    { 303, "See Other" },
    { 304, "Not Modified" },
    { 307, "Temporary Redirect" },
    { 308, "Permanent Redirect" },
    { 400, "Bad Request" },
    { 401, "Unauthorized" },
    { 403, "Forbidden" },
    { 404, "Not Found" },
    { 405, "Method Not Allowed" },
    { 408, "Request Timeout" },
    { 409, "Conflict" },
    { 410, "Gone" },
    { 411, "Length Required" },
    { 413, "Content Too Large" },
    { 414, "URI Too Long" },
    { 415, "Unsupported Media Type" },
    { 416, "Range Not Satisfiable" },
    { 421, "Misdirected Request" },
    { 429, "Too Many Requests" },
    { 431, "Request Header Fields Too Large" },
    { 500, "Internal Server Error" },
    { 501, "Not Implemented" },
    { 502, "Bad Gateway" },
    { 503, "Service Unavailable" },
    { 504, "Gateway Timeout" },
    { 505, "HTTP Version Not Supported" },
};

/* RFC 9110 15: the reason phrase; "" for codes without one here. */
const char *
bn_http_status_reason(int status)
{
    for (size_t i = 0; i < BN_NELEMS(reasons); i++) {
        if (reasons[i].status == status) {
            return reasons[i].reason;
        }
    }
    return "";
}

static bool
header_in(const char *name, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (bn_strncaseeq(name, len, list[i], strlen(list[i]))) {
            return true;
        }
    }
    return false;
}

bool
bn_http_header_in_set(const char *name, size_t len, const bn_conf_headers_t *h)
{
    for (size_t i = 0; i < h->nset; i++) {
        if (bn_strncaseeq(name, len, h->set[i].name, h->set[i].name_len)) {
            return true;
        }
    }
    return header_in(name, len, h->remove, h->nremove);
}

/*
 * The "Name: value\r\n" lines that a route's set and add rules make for r,
 * variables expanded, in r's pool ("" when there are none; NULL when memory
 * runs out).  They are made once, at the start, so the buffers that carry
 * them can be sized exactly.
 */
/* bn_buf_printf() for what needs no formatting: the hot path of head building. */
static int
put(bn_buf_t *b, const char *s, size_t n)
{
    return bn_buf_append(b, s, n);
}

#define put_lit(b, s) put(b, s, sizeof(s) - 1)

/* Appends "name: value\r\n". */
static int
put_header(bn_buf_t *b, const char *name, size_t nl, const char *value, size_t vl)
{
    if (bn_buf_room(b) < nl + vl + 4) {
        return BN_ERROR;
    }
    memcpy(b->last, name, nl);
    b->last += nl;
    *b->last++ = ':';
    *b->last++ = ' ';
    memcpy(b->last, value, vl);
    b->last += vl;
    *b->last++ = '\r';
    *b->last++ = '\n';
    return BN_OK;
}

/* Appends "name: N\r\n". */
static int
put_number_header(bn_buf_t *b, const char *name, size_t nl, uint64_t n)
{
    char digits[24], *d = digits + sizeof(digits);

    do {
        *--d = (char) ('0' + n % 10);
        n /= 10;
    } while (n != 0);
    return put_header(b, name, nl, d, (size_t) (digits + sizeof(digits) - d));
}

/* Appends "HTTP/1.1 NNN Reason\r\n". */
static int
put_status_line(bn_buf_t *b, int status)
{
    const char *reason = bn_http_status_reason(status);
    size_t rl = strlen(reason);

    if (status < 100 || status > 999 || bn_buf_room(b) < 15 + rl) {
        return BN_ERROR;
    }
    memcpy(b->last, "HTTP/1.1 ", 9);
    b->last[9] = (char) ('0' + status / 100);
    b->last[10] = (char) ('0' + status / 10 % 10);
    b->last[11] = (char) ('0' + status % 10);
    b->last[12] = ' ';
    b->last += 13;
    memcpy(b->last, reason, rl);
    b->last += rl;
    *b->last++ = '\r';
    *b->last++ = '\n';
    return BN_OK;
}

char *
bn_http_header_lines(bn_request_t *r, const bn_conf_headers_t *h)
{
    size_t total = 0, n = h->nset + h->nadd;
    const char **vals;
    char *out, *p;

    if (n == 0) {
        return "";
    }
    vals = bn_palloc(r->pool, n * sizeof(char *));
    if (vals == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const bn_conf_header_t *hd = i < h->nset ? &h->set[i] : &h->add[i - h->nset];
        vals[i] = hd->tpl.has_vars ? bn_var_expand(r, &hd->tpl) : hd->value;
        if (vals[i] == NULL) {
            return NULL;
        }
        total += hd->name_len + strlen(vals[i]) + 4;
    }
    out = p = bn_palloc(r->pool, total + 1);
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const bn_conf_header_t *hd = i < h->nset ? &h->set[i] : &h->add[i - h->nset];
        p += sprintf(p, "%s: %s\r\n", hd->name, vals[i]);
    }
    return out;
}

/* Hop-by-hop (RFC 9110 7.6.1) and framing headers bouncer writes itself. */
static const char *const hop_by_hop[] = {
    "connection", "keep-alive",        "proxy-connection", "te",
    "trailer",    "transfer-encoding", "upgrade",          "content-length",
};

/* RFC 9110 7.6.1: the headers a Connection header names are hop-by-hop too. */
static bool
named_in_connection(const bn_http_head_t *h, const char *buf, const char *name, size_t len)
{
    if (!h->conn_other) {
        return false; /* the usual case: nothing to look up per header */
    }
    for (unsigned i = 0; i < h->nheaders; i++) {
        const bn_http_header_t *hd = &h->headers[i];
        const char *v = buf + hd->value, *end = v + hd->value_len;
        if (!bn_strncaseeq(buf + hd->name, hd->name_len, "connection", 10)) {
            continue;
        }
        while (v < end) {
            const char *s;
            while (v < end && (*v == ' ' || *v == '\t' || *v == ',')) {
                v++;
            }
            s = v;
            while (v < end && *v != ',' && *v != ' ' && *v != '\t') {
                v++;
            }
            if (bn_strncaseeq(s, (size_t) (v - s), name, len)) {
                return true;
            }
        }
    }
    return false;
}

/* Whether an access handler took the client's header of this name out. */
static bool
dropped(const bn_request_t *r, const char *name, size_t len)
{
    for (unsigned i = 0; i < r->nup_drop; i++) {
        if (bn_strncaseeq(name, len, r->up_drop[i].data, r->up_drop[i].len)) {
            return true;
        }
    }
    return false;
}

int
bn_http_build_upstream_head(bn_request_t *r)
{
    bn_client_t *c = r->client;
    const char *buf = c->in.start;
    const bn_conf_route_t *rt = r->route;
    bn_conf_upstream_t *u = r->upstream;
    size_t size;
    char *xff = NULL;
    const char *host_value;
    int hi = r->head.host;
    bool have_proto = false, have_host = false;
    /* X-Request-Id is bouncer's, one line of it, unless the route's rules
     * say what it is (then they alone do). */
    bool own_id = !bn_http_header_in_set("x-request-id", 12, &rt->request_headers);
    const char *id = bn_request_id(r);
    char *trace = bn_trace_upstream_lines(r);
    char *m;

    if (trace == NULL) {
        return BN_ERROR;
    }
    size = r->head.head_len + strlen(r->target) + 1024 + strlen(r->req_header_lines) + strlen(id)
           + strlen(trace) + (r->up_lines ? strlen(r->up_lines) : 0)
           + (u->host_header ? strlen(u->host_header) : 0) + (r->host ? 2 * strlen(r->host) : 0);
    m = bn_palloc(r->pool, size);
    if (m == NULL) {
        return BN_ERROR;
    }
    bn_buf_init(&r->out, m, size);
    if (put(&r->out, r->method, strlen(r->method)) != BN_OK || put_lit(&r->out, " ") != BN_OK
        || put(&r->out, r->target, strlen(r->target)) != BN_OK
        || put_lit(&r->out, " HTTP/1.1\r\n") != BN_OK) {
        return BN_ERROR;
    }
    for (unsigned i = 0; i < r->head.nheaders; i++) {
        const bn_http_header_t *hd = &r->head.headers[i];
        const char *name = buf + hd->name;
        size_t nl = hd->name_len;

        if (header_in(name, nl, hop_by_hop, BN_NELEMS(hop_by_hop))
            || named_in_connection(&r->head, buf, name, nl)
            || bn_http_header_in_set(name, nl, &rt->request_headers)
            || bn_strncaseeq(name, nl, "expect", 6) || (int) i == hi || dropped(r, name, nl)
            || bn_strncaseeq(name, nl, "x-request-id", 12) || bn_trace_replaces(name, nl)) {
            continue;
        }
        if (r->server->forwarded & BN_FORWARDED_X) {
            if (bn_strncaseeq(name, nl, "x-forwarded-for", 15)) {
                /* Several lines fold into one list, in order (RFC 9110 5.3),
                 * joined once: each line copied again would be quadratic. */
                if (xff == NULL) {
                    xff = bn_http_field(r->pool, &r->head, buf, "x-forwarded-for");
                }
                continue;
            }
            if (bn_strncaseeq(name, nl, "x-real-ip", 9)) {
                continue;
            }
            if (bn_strncaseeq(name, nl, "x-forwarded-proto", 17)
                || bn_strncaseeq(name, nl, "x-forwarded-host", 16)) {
                /* A trusted proxy in front knows these better than we do. */
                if (!r->peer_trusted) {
                    continue;
                }
                if (name[12] == 'p' || name[12] == 'P') {
                    have_proto = true;
                } else {
                    have_host = true;
                }
            }
        }
        if ((r->server->forwarded & BN_FORWARDED_RFC7239) && bn_strncaseeq(name, nl, "forwarded", 9)
            && !r->peer_trusted) {
            continue;
        }
        if (put_header(&r->out, name, nl, buf + hd->value, hd->value_len) != BN_OK) {
            return BN_ERROR;
        }
    }
    if (u->host_header != NULL) {
        host_value = u->host_header;
    } else if (r->authority != NULL) {
        host_value = r->authority;
    } else if (hi >= 0 && r->head.headers[hi].value_len > 0) {
        /* Checked by bn_route_host(): it goes on byte for byte. */
        host_value =
            bn_pstrndup(r->pool, buf + r->head.headers[hi].value, r->head.headers[hi].value_len);
    } else if (r->host != NULL) {
        /* An HTTP/1.0 client sent none (or an empty one): the server
         * block's name, as $host and the cache key say. */
        host_value = r->host;
    } else {
        /* Nor has the block a name; HTTP/1.1 to the upstream needs one
         * (RFC 9112 3.2): the upstream's, as nginx's $proxy_host. */
        host_value = u->name;
    }
    if (host_value != NULL && host_value[0] != '\0'
        && put_header(&r->out, "Host", 4, host_value, strlen(host_value)) != BN_OK) {
        return BN_ERROR;
    }
    if (r->server->forwarded & BN_FORWARDED_X) {
        if (put_lit(&r->out, "X-Forwarded-For: ") != BN_OK
            || (xff != NULL
                && (put(&r->out, xff, strlen(xff)) != BN_OK || put_lit(&r->out, ", ") != BN_OK))
            || put(&r->out, r->peer_text, strlen(r->peer_text)) != BN_OK
            || put_lit(&r->out, "\r\n") != BN_OK
            || put_header(&r->out, "X-Real-IP", 9, r->remote_addr, strlen(r->remote_addr))
                   != BN_OK) {
            return BN_ERROR;
        }
        if (!have_proto
            && (c->conn.ssl != NULL ? put_lit(&r->out, "X-Forwarded-Proto: https\r\n")
                                    : put_lit(&r->out, "X-Forwarded-Proto: http\r\n"))
                   != BN_OK) {
            return BN_ERROR;
        }
        if (!have_host && r->host != NULL
            && put_header(&r->out, "X-Forwarded-Host", 16, r->host, strlen(r->host)) != BN_OK) {
            return BN_ERROR;
        }
    }
    if (r->server->forwarded & BN_FORWARDED_RFC7239) {
        bool v6 = c->peer.sa.sa_family == AF_INET6;
        if (bn_buf_printf(&r->out, "Forwarded: for=%s%s%s;proto=%s%s%s%s\r\n", v6 ? "\"[" : "",
                          r->peer_text, v6 ? "]\"" : "", c->conn.ssl ? "https" : "http",
                          r->host ? ";host=\"" : "", r->host ? r->host : "", r->host ? "\"" : "")
            != BN_OK) {
            return BN_ERROR;
        }
    }
    if ((own_id && put_header(&r->out, "X-Request-Id", 12, id, strlen(id)) != BN_OK)
        || put(&r->out, trace, strlen(trace)) != BN_OK) {
        return BN_ERROR;
    }
    if (put(&r->out, r->req_header_lines, strlen(r->req_header_lines)) != BN_OK
        || (r->up_lines != NULL && put(&r->out, r->up_lines, strlen(r->up_lines)) != BN_OK)) {
        return BN_ERROR;
    }
    if (r->websocket
        && put_lit(&r->out, "Upgrade: websocket\r\nConnection: upgrade\r\n") != BN_OK) {
        return BN_ERROR;
    }
    if (r->head.chunked) {
        if (put_lit(&r->out, "Transfer-Encoding: chunked\r\n") != BN_OK) {
            return BN_ERROR;
        }
    } else if (r->head.content_length >= 0) {
        if (put_number_header(&r->out, "Content-Length", 14, (uint64_t) r->head.content_length)
            != BN_OK) {
            return BN_ERROR;
        }
    }
    if (u->keepalive == 0 && put_lit(&r->out, "Connection: close\r\n") != BN_OK) {
        return BN_ERROR;
    }
    return put_lit(&r->out, "\r\n");
}

/*
 * X-Request-Id on every response: the request's id, in place of any the
 * upstream (or the cache) had, unless the route's response rules say what
 * it is.  replaced_id(): whether a line of the upstream's (or the cache's)
 * is one it replaces.
 */
static bool
replaced_id(bn_request_t *r, const char *name, size_t nl)
{
    return bn_strncaseeq(name, nl, "x-request-id", 12)
           && !bn_http_header_in_set(name, nl, &r->route->response_headers);
}

static int
put_request_id(bn_request_t *r)
{
    const char *id = bn_request_id(r);

    if (bn_http_header_in_set("x-request-id", 12, &r->route->response_headers)) {
        return BN_OK;
    }
    return put_header(&r->rout, "X-Request-Id", 12, id, strlen(id));
}

/* Copies the upstream's interim response, less hop-by-hop headers, to rout. */
void
bn_http_interim_response(bn_request_t *r)
{
    const char *buf = r->rbuf.start;
    const bn_http_head_t *h = &r->rhead;
    char *mark = r->rout.last;

    if (put_status_line(&r->rout, h->status) != BN_OK) {
        goto none;
    }
    for (unsigned i = 0; i < h->nheaders; i++) {
        const bn_http_header_t *hd = &h->headers[i];
        if (header_in(buf + hd->name, hd->name_len, hop_by_hop, BN_NELEMS(hop_by_hop))
            || named_in_connection(h, buf, buf + hd->name, hd->name_len)) {
            continue;
        }
        if (put_header(&r->rout, buf + hd->name, hd->name_len, buf + hd->value, hd->value_len)
            != BN_OK) {
            goto none;
        }
    }
    if (bn_buf_printf(&r->rout, "\r\n") == BN_OK) {
        return;
    }
none:
    /* No room: an interim response is advisory, the final one is not. */
    r->rout.last = mark;
}

static const char *
upstream_header(bn_request_t *r, const char *name, size_t *len)
{
    int i = bn_http_find_header(&r->rhead, r->rbuf.start, name);

    if (i < 0) {
        return NULL;
    }
    *len = r->rhead.headers[i].value_len;
    return r->rbuf.start + r->rhead.headers[i].value;
}

/* Whether a list header (all its lines) of the upstream's head holds token. */
static bool
upstream_list_has(bn_request_t *r, const char *name, const char *token)
{
    const char *v = bn_http_field(r->pool, &r->rhead, r->rbuf.start, name);
    size_t tl = strlen(token);

    while (v != NULL && *v != '\0') {
        size_t n;
        while (*v == ' ' || *v == '\t' || *v == ',') {
            v++;
        }
        n = strcspn(v, ", \t");
        if (bn_strncaseeq(v, n, token, tl)) {
            return true;
        }
        v += n;
    }
    return false;
}

bool
bn_http_websocket_accepted(bn_request_t *r)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const char *key = bn_http_header(r, "sec-websocket-key"), *got;
    unsigned char md[EVP_MAX_MD_SIZE];
    char want[64], in[64];
    unsigned mdlen = 0;
    size_t glen;

    /* RFC 6455 4.1, the client's checks of the server's handshake: Upgrade
     * is websocket, Connection names upgrade, and Sec-WebSocket-Accept is
     * the base64 SHA-1 of the key and the GUID.  Else the backend did not
     * speak WebSocket, whatever its status said. */
    if (key == NULL || strlen(key) != 24 || !upstream_list_has(r, "upgrade", "websocket")
        || !upstream_list_has(r, "connection", "upgrade")) {
        return false;
    }
    memcpy(in, key, 24);
    memcpy(in + 24, guid, sizeof(guid) - 1);
    if (EVP_Digest(in, 24 + sizeof(guid) - 1, md, &mdlen, EVP_sha1(), NULL) != 1) {
        return false;
    }
    EVP_EncodeBlock((unsigned char *) want, md, (int) mdlen);
    got = upstream_header(r, "sec-websocket-accept", &glen);
    return got != NULL && glen == strlen(want) && memcmp(got, want, glen) == 0;
}

/* The upstream accepted the upgrade: the client gets its 101, with the
 * end-to-end headers (Sec-WebSocket-Accept, -Protocol, -Extensions). */
int
bn_http_build_switch_head(bn_request_t *r)
{
    const char *buf = r->rbuf.start;
    const bn_http_head_t *h = &r->rhead;

    r->status = 101;
    r->upstream_status = 101;
    if (put_status_line(&r->rout, 101) != BN_OK) {
        return BN_ERROR;
    }
    for (unsigned i = 0; i < h->nheaders; i++) {
        const bn_http_header_t *hd = &h->headers[i];
        const char *name = buf + hd->name;
        if (header_in(name, hd->name_len, hop_by_hop, BN_NELEMS(hop_by_hop))
            || named_in_connection(h, buf, name, hd->name_len)
            || bn_strncaseeq(name, hd->name_len, "server", 6)
            || bn_strncaseeq(name, hd->name_len, "x-powered-by", 12)
            || replaced_id(r, name, hd->name_len)) {
            continue;
        }
        if (put_header(&r->rout, name, hd->name_len, buf + hd->value, hd->value_len) != BN_OK) {
            return BN_ERROR;
        }
    }
    if (put_lit(&r->rout, "Server: bouncer\r\n") != BN_OK
        || put(&r->rout, r->resp_header_lines, strlen(r->resp_header_lines)) != BN_OK
        || put_request_id(r) != BN_OK
        || put_lit(&r->rout, "Upgrade: websocket\r\nConnection: upgrade\r\n\r\n") != BN_OK) {
        return BN_ERROR;
    }
    r->rbuf.pos = r->rbuf.start + h->head_len;
    return BN_OK;
}

static int put_hsts(bn_request_t *r);

/*
 * Response compression's changes to a head (worker/compress.c decides):
 * Vary gets Accept-Encoding on every response of a type the route
 * compresses, merged into the Vary the response had; a coded one gets
 * Content-Encoding, a weak ETag (RFC 9110 8.8.3: the coded bytes are not
 * the identity ones) and no Accept-Ranges (its ranges would be of bytes
 * nobody stored); its framing is the caller's.
 */
typedef struct {
    bn_compress_plan_t plan;
    char *vary; /* the response's own Vary lines, joined; NULL: none */
} compress_head_t;

/* Whether the list value v has token as a member (case-insensitive). */
static bool
value_has(const char *v, const char *token)
{
    size_t tl = strlen(token);

    while (*v != '\0') {
        size_t n;
        while (*v == ' ' || *v == '\t' || *v == ',') {
            v++;
        }
        n = strcspn(v, ", \t");
        if (bn_strncaseeq(v, n, token, tl)) {
            return true;
        }
        v += n;
    }
    return false;
}

/*
 * A line name: value of the response that compression changes: true when
 * it was taken care of (written changed, or left out), with *rc BN_OK or
 * BN_ERROR; false when it goes out as it is.
 */
static bool
compress_line(bn_request_t *r, compress_head_t *ch, const char *name, size_t nl, const char *v,
              size_t vl, int *rc)
{
    *rc = BN_OK;
    if (ch->plan.vary && bn_strncaseeq(name, nl, "vary", 4)) {
        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) {
            vl--;
        }
        if (vl > 0) {
            ch->vary = ch->vary == NULL ? bn_pstrndup(r->pool, v, vl)
                                        : bn_psprintf(r->pool, "%s, %.*s", ch->vary, (int) vl, v);
            *rc = ch->vary != NULL ? BN_OK : BN_ERROR;
        }
        return true;
    }
    if (ch->plan.weaken && bn_strncaseeq(name, nl, "etag", 4) && vl > 0 && v[0] == '"') {
        *rc = bn_buf_printf(&r->rout, "ETag: W/%.*s\r\n", (int) vl, v);
        return true;
    }
    return ch->plan.enc != BN_ENC_IDENTITY && bn_strncaseeq(name, nl, "accept-ranges", 13);
}

/* Vary and Content-Encoding, after the response's own lines. */
static int
put_compress_fields(bn_request_t *r, const compress_head_t *ch)
{
    if (ch->plan.vary) {
        int rc;
        if (ch->vary == NULL) {
            rc = put_lit(&r->rout, "Vary: Accept-Encoding\r\n");
        } else if (value_has(ch->vary, "*") || value_has(ch->vary, "accept-encoding")) {
            rc = bn_buf_printf(&r->rout, "Vary: %s\r\n", ch->vary);
        } else {
            rc = bn_buf_printf(&r->rout, "Vary: %s, Accept-Encoding\r\n", ch->vary);
        }
        if (rc != BN_OK) {
            return BN_ERROR;
        }
    }
    if (ch->plan.enc != BN_ENC_IDENTITY) {
        return bn_buf_printf(&r->rout, "Content-Encoding: %s\r\n", bn_encoding_name(ch->plan.enc));
    }
    return BN_OK;
}

/* Fills ch for a response with these fields: bn_compress_plan() when the
 * route compresses.  A route that sets Vary itself says it alone. */
static void
compress_head(bn_request_t *r, compress_head_t *ch, bn_compress_resp_t *resp, const char *cc)
{
    bn_cache_control_t d;

    memset(ch, 0, sizeof(*ch));
    r->compress = NULL;
    if (!r->route->compress.enabled) {
        return;
    }
    if (cc != NULL) {
        bn_cache_control_init(&d);
        bn_cache_control_parse(&d, cc, strlen(cc));
        resp->no_transform = d.no_transform;
    }
    bn_compress_plan(r, resp, &ch->plan);
    if (bn_http_header_in_set("vary", 4, &r->route->response_headers)) {
        ch->plan.vary = false;
    }
}

/* Connection (what the client must know of this connection's future) and
 * the blank line that ends a response head. */
static int
put_head_end(bn_request_t *r)
{
    if (!r->keepalive) {
        if (put_lit(&r->rout, "Connection: close\r\n") != BN_OK) {
            return BN_ERROR;
        }
    } else if (r->version == 10 && put_lit(&r->rout, "Connection: keep-alive\r\n") != BN_OK) {
        return BN_ERROR;
    }
    return put_lit(&r->rout, "\r\n");
}

/* X-Cache-Status, on routes that cache (unless status_header = false). */
static int
put_cache_status(bn_request_t *r)
{
    if (r->cache_status == NULL || !r->route->cache.status_header) {
        return BN_OK;
    }
    return bn_buf_printf(&r->rout, "X-Cache-Status: %s\r\n", r->cache_status);
}

/*
 * The upstream's header lines worth keeping with a cached body: not the
 * hop-by-hop ones, nor the framing (bouncer frames what it serves), nor
 * what bouncer hides.
 */
int
bn_http_cacheable_lines(bn_request_t *r, bn_buf_t *out)
{
    const char *buf = r->rbuf.start;
    const bn_http_head_t *h = &r->rhead;

    for (unsigned i = 0; i < h->nheaders; i++) {
        const bn_http_header_t *hd = &h->headers[i];
        const char *name = buf + hd->name;
        size_t nl = hd->name_len;
        if (header_in(name, nl, hop_by_hop, BN_NELEMS(hop_by_hop))
            || named_in_connection(h, buf, name, nl) || bn_strncaseeq(name, nl, "server", 6)
            || bn_strncaseeq(name, nl, "x-powered-by", 12) || bn_strncaseeq(name, nl, "age", 3)) {
            continue;
        }
        if (put_header(out, name, nl, buf + hd->value, hd->value_len) != BN_OK) {
            return BN_ERROR;
        }
    }
    return BN_OK;
}

/*
 * A cache passes on the age of what it forwards (RFC 9111 5.1): on a
 * caching route the upstream's Age goes out as the number it means (its
 * first member, RFC 9111 5.1) plus the time the request took; an Age that
 * is not one is dropped, as a cache ignores it.
 */
static int
put_upstream_age(bn_request_t *r)
{
    size_t len;
    const char *v = upstream_header(r, "age", &len);
    int64_t age = v != NULL ? bn_http_age_parse(v, len) : BN_CC_ABSENT;

    if (age == BN_CC_ABSENT) {
        return BN_OK;
    }
    age += (int64_t) ((bn_current_msec - r->upstream_start_msec) / 1000);
    return bn_buf_printf(&r->rout, "Age: %" PRId64 "\r\n", age);
}

/* Bouncer-Cache-Control is the origin's word to bouncer's cache alone
 * (RFC 9213's targeted field of its own): kept with a stored response, for
 * its directives, and never passed on. */
static bool
to_bouncer(const char *name, size_t nl)
{
    return bn_strncaseeq(name, nl, "bouncer-cache-control", 21);
}

/* Range fields bouncer writes for what it serves from the cache, in place
 * of the stored ones. */
static bool
range_field(const char *name, size_t nl)
{
    return bn_strncaseeq(name, nl, "accept-ranges", 13)
           || bn_strncaseeq(name, nl, "content-range", 13);
}

/*
 * The head of a response served from the cache: the stored lines, and what
 * bouncer adds to any response.  ranges, when not NULL, are Accept-Ranges
 * (and Content-Range) lines that replace the stored ones.  A 416 carries
 * none of the stored lines: they describe a 200 that is not being sent,
 * and its Cache-Control could let a cache beyond keep the 416 for it.
 */
/* The value of the stored lines' field name (first line), or NULL. */
static const char *
line_value(const char *p, const char *end, const char *name, size_t *vl)
{
    size_t nl = strlen(name);

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t) (end - p));
        if (eol == NULL) {
            break;
        }
        if ((size_t) (eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) {
                v++;
            }
            *vl = (size_t) (eol - v - (eol > v && eol[-1] == '\r'));
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* The stored lines' field name, its lines joined (RFC 9110 5.3), in r's
 * pool; NULL when absent. */
static char *
lines_field(bn_request_t *r, const char *p, const char *end, const char *name)
{
    char *found = NULL;
    size_t vl;
    const char *v;

    while ((v = line_value(p, end, name, &vl)) != NULL) {
        found = found == NULL ? bn_pstrndup(r->pool, v, vl)
                              : bn_psprintf(r->pool, "%s, %.*s", found, (int) vl, v);
        if (found == NULL) {
            return NULL;
        }
        p = (const char *) memchr(v, '\n', (size_t) (end - v)) + 1;
    }
    return found;
}

int
bn_http_build_cached_head(bn_request_t *r, int status, const char *lines, size_t len, int64_t age,
                          uint64_t length, bool body, const char *ranges)
{
    const bn_conf_headers_t *rh = &r->route->response_headers;
    const char *p = lines, *end = status == 416 ? lines : lines + len;
    compress_head_t ch;
    bn_compress_resp_t resp = { .status = status, .length = (int64_t) length,
                                .body = body && !r->head_method };
    size_t vl;
    int rc;

    if (r->route->compress.enabled) {
        /* The stored lines describe the representation even for a 304. */
        resp.ctype = line_value(lines, lines + len, "content-type", &resp.ctype_len);
        resp.encoded = line_value(lines, lines + len, "content-encoding", &vl) != NULL;
    }
    compress_head(r, &ch, &resp,
                  r->route->compress.enabled ? lines_field(r, lines, lines + len, "cache-control")
                                             : NULL);
    if (ch.plan.enc != BN_ENC_IDENTITY && r->version != 11) {
        r->keepalive = false; /* HTTP/1.0: the coded body ends with the connection */
    }
    r->status = status;
    if (put_status_line(&r->rout, status) != BN_OK
        || (status == 416 && bn_buf_printf(&r->rout, "Date: %s\r\n", bn_time_http()) != BN_OK)) {
        return BN_ERROR;
    }
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t) (end - p));
        const char *colon = memchr(p, ':', (size_t) (end - p));
        if (eol == NULL || colon == NULL || colon > eol) {
            break;
        }
        if (!bn_http_header_in_set(p, (size_t) (colon - p), rh)
            && !replaced_id(r, p, (size_t) (colon - p)) && !to_bouncer(p, (size_t) (colon - p))
            && !(status == 304 && bn_strncaseeq(p, (size_t) (colon - p), "content-type", 12))
            && !(ranges != NULL && range_field(p, (size_t) (colon - p)))) {
            const char *v = colon + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) {
                v++;
            }
            vl = (size_t) (eol - v - (eol > v && eol[-1] == '\r'));
            if (compress_line(r, &ch, p, (size_t) (colon - p), v, vl, &rc)) {
                if (rc != BN_OK) {
                    return BN_ERROR;
                }
            } else if (put(&r->rout, p, (size_t) (eol - p + 1)) != BN_OK) {
                return BN_ERROR;
            }
        }
        p = eol + 1;
    }
    if ((ranges != NULL && ch.plan.enc == BN_ENC_IDENTITY
         && put(&r->rout, ranges, strlen(ranges)) != BN_OK)
        || put_compress_fields(r, &ch) != BN_OK
        || bn_buf_printf(&r->rout, "Age: %" PRId64 "\r\nServer: bouncer\r\n", age) != BN_OK
        || put(&r->rout, r->resp_header_lines, strlen(r->resp_header_lines)) != BN_OK
        || put_request_id(r) != BN_OK || put_hsts(r) != BN_OK || put_cache_status(r) != BN_OK) {
        return BN_ERROR;
    }
    if (ch.plan.enc != BN_ENC_IDENTITY) {
        if (r->version == 11 && put_lit(&r->rout, "Transfer-Encoding: chunked\r\n") != BN_OK) {
            return BN_ERROR;
        }
    } else if (status != 304 && (body || r->head_method)
               && put_number_header(&r->rout, "Content-Length", 14, length) != BN_OK) {
        return BN_ERROR;
    }
    return put_head_end(r);
}

/* Strict-Transport-Security on https responses of a server with hsts. */
static int
put_hsts(bn_request_t *r)
{
    const char *v = bn_http_hsts(r);

    return v == NULL ? BN_OK : bn_buf_printf(&r->rout, "Strict-Transport-Security: %s\r\n", v);
}

/* Pins the client to the server that answered, when the upstream is sticky
 * and the request did not already carry a cookie for a live server. */
static int
put_sticky_cookie(bn_request_t *r)
{
    const bn_conf_sticky_t *st = &r->upstream->sticky;
    const char *v = bn_upstream_sticky_value(r);

    if (v == NULL) {
        return BN_OK;
    }
    if (bn_buf_printf(&r->rout, "Set-Cookie: %s=%s; Path=%s", st->cookie, v, st->path) != BN_OK
        || (st->max_age > 0
            && bn_buf_printf(&r->rout, "; Max-Age=%" PRIu64, st->max_age / 1000) != BN_OK)
        || (st->secure && put_lit(&r->rout, "; Secure") != BN_OK)
        || (st->httponly && put_lit(&r->rout, "; HttpOnly") != BN_OK)
        || (st->samesite[0] != '\0'
            && bn_buf_printf(&r->rout, "; SameSite=%s", st->samesite) != BN_OK)) {
        return BN_ERROR;
    }
    return put_lit(&r->rout, "\r\n");
}

int
bn_http_body_mode(const bn_http_head_t *h, bool no_body)
{
    if (no_body) {
        return BN_BODY_NONE;
    }
    if (h->chunked) {
        return BN_BODY_CHUNKED;
    }
    return h->content_length >= 0 ? BN_BODY_LENGTH : BN_BODY_CLOSE;
}

/* Writes the client's response head into rout and sets up the body pipe. */
int
bn_http_build_response_head(bn_request_t *r)
{
    const char *buf = r->rbuf.start;
    bn_http_head_t *h = &r->rhead;
    const bn_conf_headers_t *rh = &r->route->response_headers;
    int mode, rc;
    bool no_body = r->head_method || h->status == 204 || h->status == 304;
    bool chunk_out = false;
    size_t len;
    compress_head_t ch;
    bn_compress_resp_t resp = { .status = h->status, .body = !no_body };

    mode = bn_http_body_mode(h, no_body);
    if (r->route->compress.enabled) {
        resp.ctype = upstream_header(r, "content-type", &resp.ctype_len);
        resp.encoded = upstream_header(r, "content-encoding", &len) != NULL;
        resp.length = mode == BN_BODY_LENGTH ? h->content_length : -1;
    }
    compress_head(r, &ch, &resp,
                  r->route->compress.enabled ? bn_http_field(r->pool, h, buf, "cache-control")
                                             : NULL);
    if (mode == BN_BODY_CHUNKED || mode == BN_BODY_CLOSE || ch.plan.enc != BN_ENC_IDENTITY) {
        if (r->version == 11) {
            chunk_out = true;
        } else {
            r->keepalive = false; /* HTTP/1.0 gets a body delimited by close */
        }
    }
    r->up_keepalive =
        mode != BN_BODY_CLOSE && !h->conn_close && (h->version == 11 || h->conn_keepalive);
    if (!r->req_pipe.done) {
        /* The upstream answered before the whole body was read. */
        r->keepalive = false;
        r->up_keepalive = false;
    }
    if (bn_worker_quitting || r->client->nrequests >= bn_heritage.conf->limits.keepalive_requests) {
        r->keepalive = false;
    }

    r->status = h->status;
    if (put_status_line(&r->rout, h->status) != BN_OK) {
        return BN_ERROR;
    }
    for (unsigned i = 0; i < h->nheaders; i++) {
        const bn_http_header_t *hd = &h->headers[i];
        const char *name = buf + hd->name;
        size_t nl = hd->name_len;

        if (bn_strncaseeq(name, nl, "content-length", 14) && no_body && h->status != 204) {
            /* HEAD and 304 describe the representation: keep its length. */
        } else if (header_in(name, nl, hop_by_hop, BN_NELEMS(hop_by_hop))
                   || named_in_connection(h, buf, name, nl) || bn_strncaseeq(name, nl, "server", 6)
                   || bn_strncaseeq(name, nl, "x-powered-by", 12)
                   || bn_http_header_in_set(name, nl, rh) || replaced_id(r, name, nl)
                   || to_bouncer(name, nl)
                   || (r->cache_status != NULL && bn_strncaseeq(name, nl, "age", 3))) {
            continue;
        }
        if (compress_line(r, &ch, name, nl, buf + hd->value, hd->value_len, &rc)) {
            if (rc != BN_OK) {
                return BN_ERROR;
            }
            continue;
        }
        if (put_header(&r->rout, name, nl, buf + hd->value, hd->value_len) != BN_OK) {
            return BN_ERROR;
        }
    }
    if (r->cache_status != NULL && put_upstream_age(r) != BN_OK) {
        return BN_ERROR;
    }
    if (put_lit(&r->rout, "Server: bouncer\r\n") != BN_OK
        || (upstream_header(r, "date", &len) == NULL
            && bn_buf_printf(&r->rout, "Date: %s\r\n", bn_time_http()) != BN_OK)
        || put(&r->rout, r->resp_header_lines, strlen(r->resp_header_lines)) != BN_OK
        || put_request_id(r) != BN_OK || put_sticky_cookie(r) != BN_OK || put_hsts(r) != BN_OK
        || put_cache_status(r) != BN_OK || put_compress_fields(r, &ch) != BN_OK) {
        return BN_ERROR;
    }
    if (mode == BN_BODY_LENGTH && ch.plan.enc == BN_ENC_IDENTITY) {
        if (put_number_header(&r->rout, "Content-Length", 14, (uint64_t) h->content_length)
            != BN_OK) {
            return BN_ERROR;
        }
    } else if (chunk_out && put_lit(&r->rout, "Transfer-Encoding: chunked\r\n") != BN_OK) {
        return BN_ERROR;
    }
    if (put_head_end(r) != BN_OK) {
        return BN_ERROR;
    }
    r->rbuf.pos = r->rbuf.start + h->head_len;
    bn_pipe_init(&r->resp_pipe, &r->rbuf, mode, h->content_length, chunk_out);
    r->resp_pipe.prefix = &r->rout;
    r->resp_pipe.may_splice = true;
    r->resp_pipe.close_after = !r->keepalive;
    r->resp_pipe.z = r->compress;
    return BN_OK;
}
