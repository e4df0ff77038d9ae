/*
 * request.c: what a request's head says: a header's value (all its lines
 * as one field), the client's address behind a trusted proxy, and the HSTS
 * header its server block sends.  Read by every layer that answers or
 * forwards the request.
 */
#include "request.h"
#include "../common/str.h"

char *
bn_http_field(bn_pool_t *pool, const bn_http_head_t *h, const char *buf, const char *name)
{
    size_t nl = strlen(name), total = 0;
    unsigned found = 0;
    char *v, *o;

    for (unsigned i = 0; i < h->nheaders; i++) {
        const bn_http_header_t *hd = &h->headers[i];
        if (bn_strncaseeq(buf + hd->name, hd->name_len, name, nl)) {
            total += hd->value_len + 2;
            found++;
        }
    }
    if (found == 0) {
        return NULL;
    }
    v = o = bn_palloc(pool, total + 1);
    if (v == NULL) {
        return NULL;
    }
    for (unsigned i = 0; i < h->nheaders; i++) {
        const bn_http_header_t *hd = &h->headers[i];
        if (!bn_strncaseeq(buf + hd->name, hd->name_len, name, nl)) {
            continue;
        }
        if (o != v) {
            memcpy(o, ", ", 2);
            o += 2;
        }
        memcpy(o, buf + hd->value, hd->value_len);
        o += hd->value_len;
    }
    *o = '\0';
    return v;
}

char *
bn_http_header(bn_request_t *r, const char *name)
{
    return bn_http_field(r->pool, &r->head, r->client->in.start, name);
}

const char *
bn_http_hsts(const bn_request_t *r)
{
    return r->client->conn.ssl != NULL && r->server != NULL ? r->server->tls.hsts : NULL;
}

/*
 * The client's address when the peer is a trusted proxy (real_ip.from): the
 * header's list read right to left, skipping trusted hops, so the first
 * address not ours is the client; a client cannot choose its own address by
 * sending the header itself, because whatever it sent is left of that.
 */
const char *
bn_http_real_ip(bn_request_t *r)
{
    const bn_conf_server_t *s = r->server;
    const char *buf = r->client->in.start, *found = NULL;
    size_t flen = 0;
    struct sockaddr_storage ss;

    for (int i = (int) r->head.nheaders - 1; i >= 0; i--) {
        const bn_http_header_t *h = &r->head.headers[i];
        const char *v = buf + h->value, *end = v + h->value_len;

        if (!bn_strncaseeq(buf + h->name, h->name_len, s->real_ip_header,
                           strlen(s->real_ip_header))) {
            continue;
        }
        while (end > v) {
            const char *e = end, *b;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == ',')) {
                e--;
            }
            b = e;
            while (b > v && b[-1] != ',' && b[-1] != ' ' && b[-1] != '\t') {
                b--;
            }
            end = b;
            if (e == b || bn_ip_parse(b, (size_t) (e - b), &ss) != BN_OK) {
                /* Not an address: stop trusting the rest of the list. */
                goto done;
            }
            found = b;
            flen = (size_t) (e - b);
            if (!bn_cidr_list_match(s->real_ip_from, s->nreal_ip_from, (struct sockaddr *) &ss)) {
                goto done;
            }
        }
    }
done:
    return found != NULL ? bn_pstrndup(r->pool, found, flen) : r->peer_text;
}

int
bn_request_drop_header(bn_request_t *r, const char *name, size_t len)
{
    if (r->nup_drop == r->up_drop_cap) {
        unsigned cap = r->up_drop_cap ? 2 * r->up_drop_cap : 4;
        bn_str_t *d = bn_palloc(r->pool, sizeof(*d) * cap);
        if (d == NULL) {
            return BN_ERROR;
        }
        if (r->nup_drop > 0) {
            memcpy(d, r->up_drop, sizeof(*d) * r->nup_drop);
        }
        r->up_drop = d;
        r->up_drop_cap = cap;
    }
    r->up_drop[r->nup_drop].data = name;
    r->up_drop[r->nup_drop].len = len;
    r->nup_drop++;
    return BN_OK;
}

int
bn_request_add_header(bn_request_t *r, const char *name, size_t nlen, const char *value,
                      size_t vlen)
{
    size_t old = r->up_lines ? strlen(r->up_lines) : 0;
    char *l;

    if (bn_str_has_ctl(value, vlen)) {
        return BN_DECLINED; /* it would end the line: a header of its own */
    }
    l = bn_palloc(r->pool, old + nlen + vlen + 5);
    if (l == NULL) {
        return BN_ERROR;
    }
    if (old > 0) {
        memcpy(l, r->up_lines, old);
    }
    memcpy(l + old, name, nlen);
    memcpy(l + old + nlen, ": ", 2);
    memcpy(l + old + nlen + 2, value, vlen);
    memcpy(l + old + nlen + 2 + vlen, "\r\n", 3);
    r->up_lines = l;
    return BN_OK;
}

int
bn_request_body_limit(bn_request_t *r)
{
    int64_t max = r->route->max_body_size >= 0 ? r->route->max_body_size
                                               : (int64_t) bn_heritage.conf->limits.max_body_size;

    if (max > 0 && r->head.content_length > max) {
        bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                     "client intended to send too large body: %" PRId64 " bytes",
                     r->head.content_length);
        return 413;
    }
    /* A chunked body announces no length: it is counted as it streams. */
    r->req_pipe.max_body = max > 0 ? (uint64_t) max : 0;
    return BN_OK;
}

const char *
bn_request_protocol(const bn_request_t *r)
{
    return r->version == 20 ? "HTTP/2.0" : r->version == 10 ? "HTTP/1.0" : "HTTP/1.1";
}
