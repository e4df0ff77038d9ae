/*
 * template.h: strings with variables ("$host", "${http_x_id}", "$1"), as
 * header values, redirect targets and (later) cache and hash keys use them.
 * They are compiled once, at config load, into parts; a worker evaluates
 * the parts for each request (worker/variables.c).
 */
#ifndef BN_TEMPLATE_H
#define BN_TEMPLATE_H

#include "bouncer.h"
#include "pool.h"

typedef enum {
    BN_VAR_LITERAL = 0,
    BN_VAR_REMOTE_ADDR,
    BN_VAR_HOST,
    BN_VAR_URI,
    BN_VAR_REQUEST_URI,
    BN_VAR_ARGS,
    BN_VAR_METHOD,
    BN_VAR_SCHEME,
    BN_VAR_SERVER_NAME,
    BN_VAR_SSL_CLIENT_SUBJECT,
    BN_VAR_REQUEST_ID,
    BN_VAR_AUTH_USER,    /* once authentication passed: who */
    BN_VAR_AUTH_METHOD,  /* ... and how: basic, jwt, api_key, forward */
    BN_VAR_API_KEY_NAME, /* ... the name of the API key */
    BN_VAR_HTTP,    /* $http_<name>: a request header */
    BN_VAR_COOKIE,  /* $cookie_<name> */
    BN_VAR_ARG,     /* $arg_<name>: a query argument */
    BN_VAR_JWT_CLAIM, /* $jwt_claim_<name>: a top-level claim of the token that passed */
    BN_VAR_CAPTURE, /* $1 .. $9: a capture of the route's regex */

    /* The access log's own: every key of its JSON form is a variable of
     * that name in a log template (and only there: a header is sent before
     * most of them are known). */
    BN_VAR_TIME,
    BN_VAR_PROTOCOL,
    BN_VAR_STATUS,
    BN_VAR_BYTES_SENT,
    BN_VAR_BYTES_RECEIVED,
    BN_VAR_REQUEST_TIME,
    BN_VAR_UPSTREAM_TIME,
    BN_VAR_UPSTREAM_ADDR,
    BN_VAR_UPSTREAM_STATUS,
    BN_VAR_CACHE,
    BN_VAR_USER_AGENT,
    BN_VAR_REFERER,
    BN_VAR_WORKER_PID,
    BN_VAR_TLS_PROTOCOL,
    BN_VAR_TLS_RESUMED,
    BN_VAR_RATE_LIMIT,
    BN_VAR_WAF,
    BN_VAR_TRACE_ID,
} bn_var_kind_t;

typedef struct {
    bn_var_kind_t kind;
    const char *text; /* the literal, or the <name> of http_/cookie_/arg_ */
    size_t len;       /* for BN_VAR_CAPTURE: the capture number */
} bn_template_part_t;

typedef struct {
    bn_template_part_t *parts;
    size_t nparts;
    bool has_vars;
} bn_template_t;

/*
 * Compiles src into t, in pool.  Captures are allowed only when
 * allow_captures is set.  Returns BN_OK, or BN_ERROR with a message in err
 * (an unknown variable, a "$" with no name).
 */
int bn_template_compile(bn_pool_t *pool, const char *src, bool allow_captures, bn_template_t *t,
                        char *err, size_t errlen);
/* The same for an access log format: the log's variables are allowed too. */
int bn_template_compile_log(bn_pool_t *pool, const char *src, bn_template_t *t, char *err,
                            size_t errlen);

#endif
