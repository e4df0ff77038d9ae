/*
 * h2_head.c: an HTTP/2 request's fields made into an HTTP/1.1 head (see
 * h2_head.h).  nghttp2 checks the fields too (its HTTP messaging rules);
 * these checks stand on their own, so that what reaches the HTTP/1.1 head
 * does not depend on a library's version, and the fuzzer can try them.
 */
#include "h2_head.h"
#include "http_parse.h"
#include "str.h"

/* Fields that speak of one HTTP/1.1 connection: RFC 9113 8.2.2 makes a
 * request that carries one malformed (TE but for "trailers"). */
static const char *const connection_specific[] = { "connection", "keep-alive", "proxy-connection",
                                                   "transfer-encoding", "upgrade" };

void
bn_h2_head_init(bn_h2_head_t *h, size_t limit)
{
    memset(h, 0, sizeof(*h));
    h->limit = limit;
}

void
bn_h2_head_free(bn_h2_head_t *h)
{
    free(h->buf);
    free(h->cookie);
    h->buf = h->cookie = NULL;
}

static int
malformed(bn_h2_head_t *h, const char *why)
{
    h->error = why;
    return BN_ERROR;
}

/* Appends n bytes to buf; the limit has been checked, so it grows to at
 * most limit plus what one field adds. */
static int
append(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        size_t ncap = BN_MAX(*cap * 2, BN_MAX(*len + n, 512));
        char *m = realloc(*buf, ncap);
        if (m == NULL) {
            return BN_ERROR;
        }
        *buf = m;
        *cap = ncap;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    return BN_OK;
}

/* A pseudo-header's value, or a field's, as RFC 9113 8.2.1 allows it: no
 * NUL, CR or LF, and none of the other controls HTTP/1.1 refuses either;
 * no whitespace at either end. */
static bool
value_ok(const uint8_t *v, size_t n)
{
    if (n > 0 && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t')) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

/* A request-target or authority: no whitespace, no control at all. */
static bool
target_ok(const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] <= 0x20 || v[i] == 0x7f) {
            return false;
        }
    }
    return n > 0;
}

static bool
name_is(const uint8_t *name, size_t nlen, const char *s)
{
    return nlen == strlen(s) && memcmp(name, s, nlen) == 0;
}

static int
pseudo(bn_h2_head_t *h, const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen)
{
    uint32_t *off, *len;

    if (h->regular) {
        return malformed(h, "a pseudo-header after a regular field");
    }
    if (name_is(name, nlen, ":scheme")) {
        if (h->scheme) {
            return malformed(h, "a second :scheme");
        }
        if (!(vlen == 4 && memcmp(value, "http", 4) == 0)
            && !(vlen == 5 && memcmp(value, "https", 5) == 0)) {
            return malformed(h, "a :scheme other than http or https");
        }
        h->scheme = true;
        return BN_OK;
    }
    if (name_is(name, nlen, ":method")) {
        off = &h->method, len = &h->method_len;
        for (size_t i = 0; i < vlen; i++) {
            if (!bn_http_token_char[value[i]]) {
                return malformed(h, "a :method that is not a token");
            }
        }
    } else if (name_is(name, nlen, ":path")) {
        off = &h->path, len = &h->path_len;
        if (!target_ok(value, vlen)) {
            return malformed(h, "an empty :path, or one with whitespace or controls");
        }
        if (value[0] != '/' && !(vlen == 1 && value[0] == '*')) {
            /* Origin-form or "*" only (RFC 9113 8.3.1): :authority names the host. */
            return malformed(h, "a :path that is not origin-form or \"*\"");
        }
    } else if (name_is(name, nlen, ":authority")) {
        off = &h->authority, len = &h->authority_len;
        if (!target_ok(value, vlen) || memchr(value, '@', vlen) != NULL) {
            return malformed(h, "an :authority with whitespace, controls or userinfo");
        }
    } else {
        return malformed(h, "an unknown pseudo-header");
    }
    if (*len != 0) {
        return malformed(h, "a pseudo-header twice");
    }
    if (vlen == 0) {
        return malformed(h, "an empty pseudo-header");
    }
    *off = (uint32_t) h->len;
    *len = (uint32_t) vlen;
    return append(&h->buf, &h->len, &h->cap, value, vlen);
}

int
bn_h2_head_field(bn_h2_head_t *h, const uint8_t *name, size_t nlen, const uint8_t *value,
                 size_t vlen)
{
    if (nlen == 0) {
        return malformed(h, "an empty field name");
    }
    if (h->cut) {
        return BN_OK; /* over the limit already: the 431 is decided */
    }
    h->size += nlen + vlen + 32;
    if (h->size > h->limit) {
        h->cut = true;
        return BN_OK;
    }
    if (!value_ok(value, vlen)) {
        return malformed(h, "a field value with a control or whitespace at an end");
    }
    if (name[0] == ':') {
        return pseudo(h, name, nlen, value, vlen);
    }
    for (size_t i = 0; i < nlen; i++) {
        if (!bn_http_token_char[name[i]] || (name[i] >= 'A' && name[i] <= 'Z')) {
            return malformed(h, "a field name that is not a lower-case token");
        }
    }
    if (!h->regular) {
        h->regular = true;
        h->lines = (uint32_t) h->len;
    }
    for (size_t i = 0; i < BN_NELEMS(connection_specific); i++) {
        if (name_is(name, nlen, connection_specific[i])) {
            return malformed(h, "a connection-specific field");
        }
    }
    if (name_is(name, nlen, "te")) {
        if (!(vlen == 8 && memcmp(value, "trailers", 8) == 0)) {
            return malformed(h, "TE other than \"trailers\"");
        }
        return BN_OK; /* hop-by-hop: it goes no further */
    }
    if (name_is(name, nlen, "cookie")) {
        if (vlen == 0) {
            return BN_OK;
        }
        if ((h->cookie_len > 0
             && append(&h->cookie, &h->cookie_len, &h->cookie_cap, "; ", 2) != BN_OK)
            || append(&h->cookie, &h->cookie_len, &h->cookie_cap, value, vlen) != BN_OK) {
            return malformed(h, "out of memory");
        }
        return BN_OK;
    }
    if (name_is(name, nlen, "host")) {
        if (h->has_host) {
            return malformed(h, "a second host field");
        }
        if (!target_ok(value, vlen) || memchr(value, '@', vlen) != NULL) {
            return malformed(h, "a host field with whitespace, controls or userinfo");
        }
        h->has_host = true;
        if (h->authority_len > 0) {
            /* RFC 9113 8.3.1: one that names another origin is malformed;
             * one that agrees says nothing more. */
            if (!bn_strncaseeq(h->buf + h->authority, h->authority_len, (const char *) value,
                               vlen)) {
                return malformed(h, "a host field that differs from :authority");
            }
            return BN_OK;
        }
    }
    if (name_is(name, nlen, "content-length")) {
        h->has_length = true;
    }
    if (append(&h->buf, &h->len, &h->cap, name, nlen) != BN_OK
        || append(&h->buf, &h->len, &h->cap, ": ", 2) != BN_OK
        || append(&h->buf, &h->len, &h->cap, value, vlen) != BN_OK
        || append(&h->buf, &h->len, &h->cap, "\r\n", 2) != BN_OK) {
        return malformed(h, "out of memory");
    }
    h->nfields++;
    return BN_OK;
}

/* Appends what fits of n bytes: a head too large for out is cut short. */
static void
put(bn_buf_t *out, const char *p, size_t n)
{
    n = BN_MIN(n, bn_buf_room(out));
    memcpy(out->last, p, n);
    out->last += n;
}

int
bn_h2_head_write(bn_h2_head_t *h, bool body, bn_buf_t *out)
{
    if (h->method_len == 0) {
        return malformed(h, "no :method");
    }
    if (h->method_len == 7 && memcmp(h->buf + h->method, "CONNECT", 7) == 0) {
        /* Not a request bouncer proxies; the HTTP/1.1 side refuses it. */
        if (h->authority_len == 0 || h->path_len != 0 || h->scheme) {
            return malformed(h, "a CONNECT with :path or :scheme, or without :authority");
        }
    } else if (!h->scheme || h->path_len == 0) {
        return malformed(h, "no :scheme or no :path");
    }
    if (!h->regular) {
        h->lines = (uint32_t) h->len;
    }
    put(out, h->buf + h->method, h->method_len);
    put(out, " ", 1);
    if (h->path_len > 0) {
        put(out, h->buf + h->path, h->path_len);
    } else {
        put(out, h->buf + h->authority, h->authority_len);
    }
    put(out, " HTTP/1.1\r\n", 11);
    if (h->authority_len > 0) {
        put(out, "host: ", 6);
        put(out, h->buf + h->authority, h->authority_len);
        put(out, "\r\n", 2);
    }
    put(out, h->buf + h->lines, h->len - h->lines);
    if (h->cookie_len > 0) {
        put(out, "cookie: ", 8);
        put(out, h->cookie, h->cookie_len);
        put(out, "\r\n", 2);
    }
    if (body && !h->has_length) {
        /* A body of no stated length: the DATA frames' ends say where it
         * stops, and chunked says so to the HTTP/1.1 side. */
        put(out, "transfer-encoding: chunked\r\n", 28);
    }
    if (!h->cut) {
        put(out, "\r\n", 2);
    }
    return BN_OK;
}
