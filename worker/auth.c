/*
 * auth.c: what the authentication methods share (auth.h): where a
 * credential is read, how one is kept from the upstream, and what a
 * request that passed carries.
 */
#include "auth.h"
#include "request.h"
#include "variables.h"

int
bn_auth_passed(bn_request_t *r, const char *method, const char *user, size_t len)
{
    char *u = bn_pstrndup(r->pool, user, len);

    if (u == NULL) {
        return BN_ERROR;
    }
    r->auth_user = u;
    r->auth_method = method;
    return BN_OK;
}

int
bn_auth_credential(bn_request_t *r, const bn_conf_auth_t *a, const char **v, size_t *len,
                   const bn_conf_from_t **where)
{
    for (size_t i = 0; i < a->nfrom; i++) {
        const bn_conf_from_t *f = &a->from[i];

        bn_var_credential(r, f->kind, f->name, f->name_len, v, len);
        if (*v == NULL) {
            continue;
        }
        *where = f;
        if (f->kind == BN_FROM_HEADER) {
            bool bearer = *len > 7 && strncasecmp(*v, "bearer ", 7) == 0;
            if (bearer) {
                *v += 7;
                *len -= 7;
                while (*len > 0 && **v == ' ') {
                    (*v)++;
                    (*len)--;
                }
            } else if (bn_strncaseeq(f->name, f->name_len, "authorization", 13)) {
                continue; /* another scheme: not a credential of this method */
            }
        }
        return BN_OK;
    }
    return BN_DECLINED;
}

/*
 * Whether a query argument's name (up to '=' or the end of the il bytes at
 * p) is name once its escapes are decoded: the upstream decodes them, and
 * "api%5Fkey" is "api_key" to it.
 */
static bool
arg_named(const char *p, size_t il, const char *name, size_t nlen)
{
    size_t k = 0;

    for (size_t i = 0; i < il && p[i] != '='; i++, k++) {
        int ch = (unsigned char) p[i], hi, lo;

        if (ch == '%' && i + 2 < il && (hi = bn_hex_value(p[i + 1])) != -1
            && (lo = bn_hex_value(p[i + 2])) != -1) {
            ch = hi << 4 | lo;
            i += 2;
        }
        if (k == nlen || (unsigned char) name[k] != ch) {
            return false;
        }
    }
    return k == nlen;
}

/* The query without the argument name (however spelled): the rest as it came. */
static int
strip_query_arg(bn_request_t *r, const char *name, size_t nlen)
{
    const char *q = strchr(r->target, '?'), *p, *end;
    char *out, *o;
    bool first = true;

    if (q == NULL) {
        return BN_OK;
    }
    out = bn_palloc(r->pool, strlen(r->target) + 1);
    if (out == NULL) {
        return BN_ERROR;
    }
    memcpy(out, r->target, (size_t) (q - r->target));
    o = out + (q - r->target);
    for (p = q + 1; *p != '\0'; p = *end ? end + 1 : end) {
        size_t il;
        end = strchr(p, '&');
        if (end == NULL) {
            end = p + strlen(p);
        }
        il = (size_t) (end - p);
        if (arg_named(p, il, name, nlen)) {
            continue;
        }
        *o++ = first ? '?' : '&';
        first = false;
        memcpy(o, p, il);
        o += il;
    }
    *o = '\0';
    r->target = out;
    return BN_OK;
}

/* Whether the cookie-pair of il bytes at p is one that a's from names. */
static bool
cookie_named(const char *p, size_t il, const bn_conf_auth_t *a)
{
    for (size_t i = 0; i < a->nfrom; i++) {
        const bn_conf_from_t *f = &a->from[i];
        if (f->kind == BN_FROM_COOKIE && il > f->name_len && memcmp(p, f->name, f->name_len) == 0
            && p[f->name_len] == '=') {
            return true;
        }
    }
    return false;
}

/*
 * The Cookie header again, without the cookies a's from names: one line of
 * the pairs of every Cookie line but those, split at ";" only (RFC 6265
 * 4.2.1; a value may hold a comma).
 */
static int
strip_cookies(bn_request_t *r, const bn_conf_auth_t *a)
{
    const char *buf = r->client->in.start;
    size_t size = 1;
    unsigned lines = 0;
    char *out, *o;

    for (unsigned i = 0; i < r->head.nheaders; i++) {
        const bn_http_header_t *h = &r->head.headers[i];
        if (bn_strncaseeq(buf + h->name, h->name_len, "cookie", 6)) {
            /* A pair kept may gain "; ", and each is a byte and its ';'
             * at least: twice the line is room enough. */
            size += 2 * h->value_len + 2;
            lines++;
        }
    }
    if (lines == 0) {
        return BN_OK;
    }
    if (bn_request_drop_header(r, "cookie", 6) != BN_OK
        || (out = bn_palloc(r->pool, size)) == NULL) {
        return BN_ERROR;
    }
    o = out;
    for (unsigned i = 0; i < r->head.nheaders; i++) {
        const bn_http_header_t *h = &r->head.headers[i];
        const char *p = buf + h->value, *end = p + h->value_len;

        if (!bn_strncaseeq(buf + h->name, h->name_len, "cookie", 6)) {
            continue;
        }
        while (p < end) {
            const char *semi = memchr(p, ';', (size_t) (end - p)), *next = semi ? semi : end;
            size_t il;

            while (p < next && (*p == ' ' || *p == '\t')) {
                p++;
            }
            il = (size_t) (next - p);
            if (il > 0 && !cookie_named(p, il, a)) {
                if (o > out) {
                    memcpy(o, "; ", 2);
                    o += 2;
                }
                memcpy(o, p, il);
                o += il;
            }
            p = semi ? semi + 1 : end;
        }
    }
    if (o == out) {
        return BN_OK;
    }
    return bn_request_add_header(r, "Cookie", 6, out, (size_t) (o - out)) == BN_ERROR ? BN_ERROR
                                                                                        : BN_OK;
}

int
bn_auth_strip(bn_request_t *r, const bn_conf_auth_t *a)
{
    bool cookies = false;

    for (size_t i = 0; i < a->nfrom; i++) {
        const bn_conf_from_t *f = &a->from[i];
        int rc = BN_OK;

        if (f->kind == BN_FROM_HEADER) {
            rc = bn_request_drop_header(r, f->name, f->name_len);
        } else if (f->kind == BN_FROM_QUERY) {
            rc = strip_query_arg(r, f->name, f->name_len);
        } else {
            cookies = true; /* all of them at once: the line is written again */
        }
        if (rc != BN_OK) {
            return rc;
        }
    }
    return cookies ? strip_cookies(r, a) : BN_OK;
}
