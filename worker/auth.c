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

/* The query without the argument name: the rest as it came. */
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
        if (il >= nlen && memcmp(p, name, nlen) == 0 && (il == nlen || p[nlen] == '=')) {
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

/* The Cookie header again, without the cookie name. */
static int
strip_cookie(bn_request_t *r, const char *name, size_t nlen)
{
    const char *all = bn_http_header(r, "cookie"), *p, *end;
    char *out, *o;

    if (all == NULL) {
        return BN_OK;
    }
    if (bn_request_drop_header(r, "cookie", 6) != BN_OK
        || (out = bn_palloc(r->pool, strlen(all) + 1)) == NULL) {
        return BN_ERROR;
    }
    o = out;
    for (p = all; *p != '\0'; p = *end ? end + 1 : end) {
        size_t il;
        while (*p == ' ' || *p == ',') {
            p++;
        }
        end = p + strcspn(p, ";,");
        il = (size_t) (end - p);
        if (il == 0 || (il > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == '=')) {
            continue;
        }
        if (o > out) {
            memcpy(o, "; ", 2);
            o += 2;
        }
        memcpy(o, p, il);
        o += il;
    }
    if (o == out) {
        return BN_OK;
    }
    return bn_request_add_header(r, "Cookie", 6, out, (size_t) (o - out)) == BN_ERROR ? BN_ERROR
                                                                                        : BN_OK;
}

int
bn_auth_strip(bn_request_t *r, const bn_conf_from_t *where)
{
    switch (where->kind) {
    case BN_FROM_HEADER:
        return bn_request_drop_header(r, where->name, where->name_len);
    case BN_FROM_COOKIE:
        return strip_cookie(r, where->name, where->name_len);
    default:
        return strip_query_arg(r, where->name, where->name_len);
    }
}
