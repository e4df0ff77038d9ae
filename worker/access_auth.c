/*
 * access_auth.c: the route's authentication policy, an access handler
 * after allow/deny.  It runs the policy's method (auth_*.c), or for `any`
 * each listed policy in order until one passes, and answers what fails:
 * 401 with a challenge per method (RFC 9110 11.6.1), 403 when a
 * credential was good but not enough, 503 when no decision could be had.
 */
#include "access_auth.h"
#include "../common/metrics.h"
#include "auth.h"
#include "request.h"

typedef struct {
    unsigned next;        /* in any: the next policy to try */
    bool forbidden;       /* in any: one authenticated, its require failed */
    bool unavailable;     /* in any: one could not decide */
    bn_auth_try_t try;    /* the policy being tried */
    bool sent[BN_AUTH_ANY_MAX];        /* in any: which policies saw a credential */
    bool denied[BN_AUTH_ANY_MAX];      /* ... and which of them said 403 */
} auth_ctx_t;

static bool
wanted(const bn_conf_route_t *rt)
{
    return rt->auth != NULL;
}

static int
run_method(bn_request_t *r, bn_auth_try_t *t)
{
    switch (t->policy->method) {
    case BN_AUTH_BASIC:
        return bn_auth_basic(r, t);
    case BN_AUTH_JWT:
        return bn_auth_jwt(r, t);
    case BN_AUTH_API_KEY:
        return bn_auth_api_key(r, t);
    default:
        return bn_auth_forward(r, t);
    }
}

/* One policy's WWW-Authenticate line, if its method has a challenge. */
static void
challenge(bn_line_t *l, const bn_conf_auth_t *a, bool sent, bool forbidden)
{
    switch (a->method) {
    case BN_AUTH_BASIC:
        bn_line_printf(l, "WWW-Authenticate: Basic realm=\"%s\", charset=\"UTF-8\"\r\n", a->realm);
        break;
    case BN_AUTH_JWT:
        /* RFC 6750 3.1: error only when a token came. */
        bn_line_printf(l, "WWW-Authenticate: Bearer realm=\"%s\"%s\r\n", a->realm,
                       forbidden ? ", error=\"insufficient_scope\""
                       : sent    ? ", error=\"invalid_token\""
                                 : "");
        break;
    case BN_AUTH_API_KEY:
        bn_line_printf(l, "WWW-Authenticate: ApiKey realm=\"%s\", %s=\"%s\"\r\n", a->realm,
                       a->from[0].kind == BN_FROM_QUERY ? "query" : "header", a->from[0].name);
        break;
    }
}

/* The answer when the route's policy (or every policy of an any) failed. */
static int
refuse(bn_request_t *r, auth_ctx_t *x, int status)
{
    const bn_conf_auth_t *a = r->route->auth;
    const bn_conf_auth_t *const *ps = a->method == BN_AUTH_ANY
                                          ? (const bn_conf_auth_t *const *) a->any.policies
                                          : &a;
    size_t n = a->method == BN_AUTH_ANY ? a->any.n : 1, size = 1;
    char *buf;
    bn_line_t l;

    if (status == 503 || status == 500) {
        return status;
    }
    /* Room for every challenge whole: a line cut short would be worse than none. */
    for (size_t i = 0; i < n; i++) {
        size += strlen(ps[i]->realm) + (ps[i]->nfrom > 0 ? ps[i]->from[0].name_len : 0) + 96;
    }
    buf = bn_palloc(r->pool, size);
    if (buf == NULL) {
        return 500;
    }
    bn_line_init(&l, buf, size);
    if (a->method == BN_AUTH_FORWARD) {
        /* The service's own answer goes back as it came. */
        r->ops->respond(r, status, x->try.extra, x->try.ctype, x->try.body);
        return BN_DONE;
    }
    if (a->method != BN_AUTH_ANY) {
        challenge(&l, a, x->try.sent, status == 403);
    } else {
        for (size_t i = 0; i < a->any.n; i++) {
            bool known = i < BN_NELEMS(x->sent);
            challenge(&l, a->any.policies[i], known && x->sent[i], known && x->denied[i]);
        }
    }
    r->ops->respond(r, status, l.len > 0 ? buf : NULL, NULL, NULL);
    return BN_DONE;
}

/*
 * The headers a policy sets when it passes (claims_to_headers,
 * copy_headers) never come from the client.  They go for every policy the
 * route may run, before any runs: in an any, the one that passes may not
 * be the one that names them.
 */
static int
drop_set_headers(bn_request_t *r, const bn_conf_auth_t *a)
{
    const bn_conf_auth_header_t *h = NULL;
    size_t n = 0;

    if (a->method == BN_AUTH_JWT) {
        h = a->jwt.to_headers;
        n = a->jwt.nto_headers;
    } else if (a->method == BN_AUTH_FORWARD) {
        h = a->forward.copy_headers;
        n = a->forward.ncopy_headers;
    }
    for (size_t i = 0; i < n; i++) {
        if (bn_request_drop_header(r, h[i].header, h[i].header_len) != BN_OK) {
            return BN_ERROR;
        }
    }
    return BN_OK;
}

/* What the route's policy decided, counted by outcome: BN_OK, or the
 * status it refuses with (count: not the status listener's request).
 * Counted before the refusal is made: once answered, r may be gone. */
static void
decided(bool count, const bn_conf_auth_t *a, int status)
{
    unsigned v = status == BN_OK    ? BN_MV_AUTH_OK
                 : status == 401    ? BN_MV_AUTH_UNAUTHORIZED
                 : status == 403    ? BN_MV_AUTH_FORBIDDEN
                                    : BN_MV_AUTH_ERROR;

    if (count) {
        bn_metric_add(a->metrics, v, 1);
    }
}

static int
handler(bn_request_t *r)
{
    const bn_conf_auth_t *a = r->route->auth;
    auth_ctx_t *x = r->access_ctx[BN_ACCESS_AUTH];
    bool count = !r->server->status; /* the status listener's are not counted */
    int rc;

    if (x == NULL) {
        x = bn_pcalloc(r->pool, sizeof(*x));
        if (x == NULL) {
            return 500;
        }
        r->access_ctx[BN_ACCESS_AUTH] = x;
        x->try.policy = a->method == BN_AUTH_ANY ? a->any.policies[0] : a;
        if (drop_set_headers(r, a) != BN_OK) {
            return 500;
        }
        for (size_t i = 0; a->method == BN_AUTH_ANY && i < a->any.n; i++) {
            if (drop_set_headers(r, a->any.policies[i]) != BN_OK) {
                return 500;
            }
        }
    }
    if (a->method != BN_AUTH_ANY) {
        rc = run_method(r, &x->try);
        if (rc == BN_AGAIN) {
            return rc;
        }
        if (rc == BN_DECLINED) {
            rc = 401;
        }
        decided(count, a, rc);
        return rc == BN_OK ? BN_OK : refuse(r, x, rc);
    }
    while (x->next < a->any.n) {
        rc = run_method(r, &x->try);
        if (rc == BN_OK || rc == BN_AGAIN) {
            if (rc == BN_OK) {
                decided(count, a, BN_OK);
            }
            return rc;
        }
        if (x->next < BN_NELEMS(x->sent)) {
            x->sent[x->next] = x->try.sent;
            x->denied[x->next] = rc == 403;
        }
        x->forbidden |= rc == 403;
        x->unavailable |= rc == 503;
        x->next++;
        memset(&x->try, 0, sizeof(x->try));
        if (x->next < a->any.n) {
            x->try.policy = a->any.policies[x->next];
        }
    }
    bn_log_error(BN_LOG_INFO, &r->client->log, 0, "auth: no policy of \"%s\" passed", a->name);
    rc = x->forbidden ? 403 : x->unavailable ? 503 : 401;
    decided(count, a, rc);
    return refuse(r, x, rc);
}

const bn_access_module_t bn_access_auth = { "auth", BN_ACCESS_AUTH, wanted, handler };
