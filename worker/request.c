/*
 * request.c: what a request's head says: a header's value (all its lines
 * as one field), and the HSTS header its server block sends.  Read by
 * every layer that answers or forwards the request.
 */
#include "http.h"
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
