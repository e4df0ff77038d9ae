/*
 * template.c: compiling "$variable" strings.
 */
#include "template.h"

#include <ctype.h>

typedef struct {
    const char *name;
    bn_var_kind_t kind;
} named_var_t;

static const named_var_t simple_vars[] = {
    { "remote_addr", BN_VAR_REMOTE_ADDR },
    { "host", BN_VAR_HOST },
    { "uri", BN_VAR_URI },
    { "request_uri", BN_VAR_REQUEST_URI },
    { "args", BN_VAR_ARGS },
    { "method", BN_VAR_METHOD },
    { "scheme", BN_VAR_SCHEME },
    { "server_name", BN_VAR_SERVER_NAME },
    { "ssl_client_subject", BN_VAR_SSL_CLIENT_SUBJECT },
    { "request_id", BN_VAR_REQUEST_ID },
    { "auth_user", BN_VAR_AUTH_USER },
    { "auth_method", BN_VAR_AUTH_METHOD },
    { "api_key_name", BN_VAR_API_KEY_NAME },
};

/* The keys of the JSON access log that are no variable above, in a log
 * template only.  ($uri stays the path, as everywhere: the log's "uri",
 * the target with its query, is $request_uri.) */
static const named_var_t log_vars[] = {
    { "time", BN_VAR_TIME },
    { "protocol", BN_VAR_PROTOCOL },
    { "status", BN_VAR_STATUS },
    { "bytes_sent", BN_VAR_BYTES_SENT },
    { "bytes_received", BN_VAR_BYTES_RECEIVED },
    { "request_time", BN_VAR_REQUEST_TIME },
    { "upstream_time", BN_VAR_UPSTREAM_TIME },
    { "upstream_addr", BN_VAR_UPSTREAM_ADDR },
    { "upstream_status", BN_VAR_UPSTREAM_STATUS },
    { "cache", BN_VAR_CACHE },
    { "user_agent", BN_VAR_USER_AGENT },
    { "referer", BN_VAR_REFERER },
    { "worker_pid", BN_VAR_WORKER_PID },
    { "tls_protocol", BN_VAR_TLS_PROTOCOL },
    { "tls_resumed", BN_VAR_TLS_RESUMED },
    { "tls_client_subject", BN_VAR_SSL_CLIENT_SUBJECT },
    { "rate_limit", BN_VAR_RATE_LIMIT },
    { "waf", BN_VAR_WAF },
    { "trace_id", BN_VAR_TRACE_ID },
};

static const struct {
    const char *prefix;
    bn_var_kind_t kind;
} prefixed_vars[] = {
    { "http_", BN_VAR_HTTP },
    { "cookie_", BN_VAR_COOKIE },
    { "arg_", BN_VAR_ARG },
    { "jwt_claim_", BN_VAR_JWT_CLAIM },
};

/* The kind of the variable name[0..nlen) in vars; BN_VAR_LITERAL: none. */
static bn_var_kind_t
lookup(const named_var_t *vars, size_t n, const char *name, size_t nlen)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(vars[i].name) == nlen && memcmp(vars[i].name, name, nlen) == 0) {
            return vars[i].kind;
        }
    }
    return BN_VAR_LITERAL;
}

static bool
name_char(char c)
{
    return isalnum((unsigned char) c) || c == '_';
}

static int
add_part(bn_pool_t *pool, bn_template_t *t, size_t *cap, bn_var_kind_t kind, const char *text,
         size_t len)
{
    if (t->nparts == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        bn_template_part_t *p = bn_palloc(pool, ncap * sizeof(*p));
        if (p == NULL) {
            return BN_ERROR;
        }
        if (t->nparts > 0) {
            memcpy(p, t->parts, t->nparts * sizeof(*p));
        }
        t->parts = p;
        *cap = ncap;
    }
    t->parts[t->nparts].kind = kind;
    t->parts[t->nparts].text = text;
    t->parts[t->nparts].len = len;
    t->nparts++;
    if (kind != BN_VAR_LITERAL) {
        t->has_vars = true;
    }
    return BN_OK;
}

static int
compile(bn_pool_t *pool, const char *src, bool allow_captures, bool log, bn_template_t *t,
        char *err, size_t errlen)
{
    const char *p = src, *lit = src;
    size_t cap = 0;

    memset(t, 0, sizeof(*t));
    while (*p != '\0') {
        const char *name, *end;
        size_t nlen;
        bool braced;
        bn_var_kind_t kind = BN_VAR_LITERAL;
        const char *arg = NULL;
        size_t alen = 0;

        if (*p != '$') {
            p++;
            continue;
        }
        if (p > lit && add_part(pool, t, &cap, BN_VAR_LITERAL, lit, (size_t) (p - lit)) != BN_OK) {
            return BN_ERROR;
        }
        braced = p[1] == '{';
        name = p + 1 + braced;
        if (isdigit((unsigned char) *name)) {
            if (!allow_captures) {
                snprintf(err, errlen, "\"%s\": regex captures ($%c) are not available here", src,
                         *name);
                return BN_ERROR;
            }
            end = name + 1;
            kind = BN_VAR_CAPTURE;
            alen = (size_t) (*name - '0');
        } else {
            for (end = name; name_char(*end); end++) {
            }
        }
        nlen = (size_t) (end - name);
        if (braced && *end != '}') {
            snprintf(err, errlen, "\"%s\": \"${\" without its \"}\"", src);
            return BN_ERROR;
        }
        if (nlen == 0) {
            snprintf(err, errlen, "\"%s\": \"$\" without a variable name", src);
            return BN_ERROR;
        }
        if (kind == BN_VAR_LITERAL) {
            kind = lookup(simple_vars, BN_NELEMS(simple_vars), name, nlen);
        }
        if (kind == BN_VAR_LITERAL && log) {
            kind = lookup(log_vars, BN_NELEMS(log_vars), name, nlen);
        }
        for (size_t i = 0; kind == BN_VAR_LITERAL && i < BN_NELEMS(prefixed_vars); i++) {
            size_t pl = strlen(prefixed_vars[i].prefix);
            if (nlen > pl && memcmp(prefixed_vars[i].prefix, name, pl) == 0) {
                kind = prefixed_vars[i].kind;
                arg = name + pl;
                alen = nlen - pl;
            }
        }
        if (kind == BN_VAR_LITERAL && !log
            && lookup(log_vars, BN_NELEMS(log_vars), name, nlen) != BN_VAR_LITERAL) {
            snprintf(err, errlen, "\"%s\": \"$%.*s\" is known only in log.access.format", src,
                     (int) nlen, name);
            return BN_ERROR;
        }
        if (kind == BN_VAR_LITERAL) {
            snprintf(err, errlen, "\"%s\": unknown variable \"$%.*s\"", src, (int) nlen, name);
            return BN_ERROR;
        }
        if (kind == BN_VAR_HTTP) {
            /* $http_x_request_id names the header X-Request-Id. */
            char *h = bn_pstrndup(pool, arg, alen);
            if (h == NULL) {
                return BN_ERROR;
            }
            for (char *c = h; *c; c++) {
                *c = *c == '_' ? '-' : *c;
            }
            arg = h;
        }
        if (add_part(pool, t, &cap, kind, arg, alen) != BN_OK) {
            return BN_ERROR;
        }
        p = end + braced;
        lit = p;
    }
    if (p > lit && add_part(pool, t, &cap, BN_VAR_LITERAL, lit, (size_t) (p - lit)) != BN_OK) {
        return BN_ERROR;
    }
    return BN_OK;
}

int
bn_template_compile(bn_pool_t *pool, const char *src, bool allow_captures, bn_template_t *t,
                    char *err, size_t errlen)
{
    return compile(pool, src, allow_captures, false, t, err, errlen);
}

int
bn_template_compile_log(bn_pool_t *pool, const char *src, bn_template_t *t, char *err,
                        size_t errlen)
{
    return compile(pool, src, false, true, t, err, errlen);
}
