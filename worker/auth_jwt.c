/*
 * auth_jwt.c: bearer JSON Web Tokens (RFC 7519, signed as RFC 7515), from
 * a header, a cookie or a query argument.  common/jwt.c checks the token
 * (signature, algorithm, exp, nbf, iss, aud); here are what the route adds:
 * require (authorization: 403 when it fails), claims_to_headers, and the
 * claims as $jwt_claim_<name>.
 */
#include "auth.h"
#include "event.h"
#include "phase_types.h"
#include "request.h"
#include "../common/clock.h"
#include "../common/jwks.h"

#include <time.h>

#define KID_WAIT 2000          /* msec a request waits for a fetch its unknown kid asked for */
#define KID_ASK_INTERVAL 60000 /* a worker asks at most once a minute */

/*
 * A worker's copy of what a policy's jwks_url gave: parsed again when the
 * helper publishes a new one, and the requests waiting for it.
 */
typedef struct {
    bn_io_t wake; /* the slot's wake descriptor, never read */
    const bn_conf_auth_t *policy;
    unsigned serial;
    bn_pool_t *pool;
    bn_jwt_keys_t *keys;
    bn_msec_t asked; /* the last time this worker asked for a fetch */
    bn_list_t waiting; /* bn_auth_try_t, through wait_link */
} jwks_local_t;

static jwks_local_t *locals; /* per policy index */
static char *jwks_text;

/* Takes what the helper published last, if this worker has not yet. */
static void
refresh(jwks_local_t *l)
{
    const bn_conf_auth_t *a = l->policy;
    unsigned serial;
    size_t len;
    bn_pool_t *pool;
    bn_jwt_keys_t *keys;
    char err[256];

    if (bn_jwks_serial(a->jwt.jwks) == l->serial) {
        return;
    }
    len = bn_jwks_read(a->jwt.jwks, jwks_text, &serial);
    l->serial = serial;
    if (len == 0 || (pool = bn_pool_create(16384)) == NULL) {
        return;
    }
    keys = bn_jwt_keys_from_jwks(pool, jwks_text, len, err, sizeof(err));
    if (keys == NULL) {
        /* The helper checked it: only memory can be short here. */
        bn_log_error(BN_LOG_ERR, NULL, 0, "jwks_url \"%s\": %s", a->jwt.jwks_url.text, err);
        bn_pool_destroy(pool);
        return;
    }
    if (l->pool != NULL) {
        bn_pool_destroy(l->pool);
    }
    l->pool = pool;
    l->keys = keys;
}

/* A new JWKS came: every request waiting for one tries again. */
static void
jwks_woken(bn_io_t *io, uint32_t events)
{
    jwks_local_t *l = (jwks_local_t *) io;
    bn_list_t *it, *next;

    (void) events;
    if (bn_jwks_serial(l->policy->jwt.jwks) == l->serial) {
        return;
    }
    refresh(l);
    bn_list_foreach (&l->waiting, it, next) {
        bn_auth_try_t *t = bn_list_data(it, bn_auth_try_t, wait_link);
        bn_list_remove(&t->wait_link);
        bn_timer_del(&t->kid_timer);
        t->result = 1; /* woken: try once more, then no more waiting */
        bn_phase_wake(t->waiter);
    }
}

static jwks_local_t *
local_of(const bn_conf_auth_t *a)
{
    jwks_local_t *l;

    if (locals == NULL) {
        locals = calloc(bn_heritage.conf->nauth_policies + 1, sizeof(*locals));
        jwks_text = malloc(BN_JWKS_MAX);
        if (locals == NULL || jwks_text == NULL) {
            free(locals);
            free(jwks_text);
            locals = NULL;
            jwks_text = NULL;
            return NULL;
        }
    }
    l = &locals[a->index];
    if (l->policy == NULL) {
        l->policy = a;
        bn_list_init(&l->waiting);
        l->wake.fd = bn_jwks_wake_fd(a->jwt.jwks);
        l->wake.handler = jwks_woken;
        if (bn_event_add(&l->wake) != BN_OK) {
            l->policy = NULL;
            return NULL;
        }
    }
    refresh(l);
    return l;
}

/* The keys to check a token of policy a with. */
static const bn_jwt_keys_t *
keys_of(const bn_conf_auth_t *a, jwks_local_t *l)
{
    return l != NULL && l->keys != NULL ? l->keys : a->jwt.keys;
}

static void
kid_timeout(bn_timer_t *tm)
{
    bn_auth_try_t *t = tm->data;

    bn_list_remove(&t->wait_link);
    t->result = -1;
    bn_phase_wake(t->waiter);
}

/* The request ended while it waited for a fetch. */
static void
kid_forget(void *data)
{
    bn_auth_try_t *t = data;

    if (bn_list_linked(&t->wait_link)) {
        bn_list_remove(&t->wait_link);
    }
    bn_timer_del(&t->kid_timer);
}

/* An unknown kid: wait (at most KID_WAIT) for the fetch it asks for. */
static int
wait_for_kid(bn_request_t *r, bn_auth_try_t *t, jwks_local_t *l)
{
    if (l == NULL || t->result != 0) {
        return 401; /* waited once already */
    }
    if (l->asked == 0 || bn_current_msec - l->asked >= KID_ASK_INTERVAL) {
        l->asked = bn_current_msec;
        bn_jwks_ask(l->policy->jwt.jwks);
    } else if (bn_current_msec - l->asked >= KID_WAIT) {
        return 401; /* asked within the minute, and that fetch has come and gone */
    }
    if (bn_pool_cleanup_add(r->pool, kid_forget, t) != BN_OK) {
        return 401;
    }
    t->waiter = r;
    t->kid_timer.handler = kid_timeout;
    t->kid_timer.data = t;
    bn_list_insert_tail(&l->waiting, &t->wait_link);
    bn_timer_set(&t->kid_timer, KID_WAIT);
    return BN_AGAIN;
}

/* A string claim has word among its space-separated words (OAuth scope). */
static bool
has_word(const char *s, size_t len, const char *word)
{
    size_t wl = strlen(word);
    const char *p = s, *end = s + len;

    while (p < end) {
        const char *sp = memchr(p, ' ', (size_t) (end - p));
        size_t n = sp ? (size_t) (sp - p) : (size_t) (end - p);
        if (n == wl && memcmp(p, word, wl) == 0) {
            return true;
        }
        p += n + 1;
    }
    return false;
}

/* A scalar as text, as `equals` compares it. */
static bool
scalar_is(const bn_json_t *j, const char *v)
{
    switch (j->type) {
    case BN_JSON_STRING:
    case BN_JSON_NUMBER:
        return j->len == strlen(v) && memcmp(j->str, v, j->len) == 0;
    case BN_JSON_TRUE:
        return strcmp(v, "true") == 0;
    case BN_JSON_FALSE:
        return strcmp(v, "false") == 0;
    default:
        return false;
    }
}

static bool
holds(const bn_json_t *claims, const bn_conf_jwt_require_t *q)
{
    const bn_json_t *c = bn_json_get(claims, q->claim);

    if (c == NULL) {
        return false;
    }
    for (size_t i = 0; i < q->nvalues; i++) {
        const char *v = q->values[i];
        bool ok = false;

        if (q->contains) {
            if (c->type == BN_JSON_STRING) {
                ok = has_word(c->str, c->len, v);
            } else if (c->type == BN_JSON_ARRAY) {
                for (const bn_json_t *e = c->child; e != NULL && !ok; e = e->next) {
                    ok = e->type == BN_JSON_STRING && scalar_is(e, v);
                }
            }
            if (!ok) {
                return false; /* contains: every word must be there */
            }
        } else if (scalar_is(c, v)) {
            return true; /* equals: one of the values */
        }
    }
    return q->contains;
}

/* claims_to_headers: the client's headers of those names go, the claims come. */
static int
claims_to_headers(bn_request_t *r, const bn_conf_auth_t *a, const bn_json_t *claims)
{
    for (size_t i = 0; i < a->jwt.nto_headers; i++) {
        const bn_conf_auth_header_t *h = &a->jwt.to_headers[i];
        const bn_json_t *c = bn_json_get(claims, h->claim);
        const char *v = NULL;
        size_t len = 0;

        if (c == NULL) {
            continue;
        }
        if (c->type == BN_JSON_STRING || c->type == BN_JSON_NUMBER) {
            v = c->str;
            len = c->len;
        } else if (c->type == BN_JSON_TRUE || c->type == BN_JSON_FALSE) {
            v = c->type == BN_JSON_TRUE ? "true" : "false";
            len = strlen(v);
        } else {
            continue; /* an object or array is no header value */
        }
        if (bn_request_add_header(r, h->header, h->header_len, v, len) == BN_DECLINED) {
            bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                         "jwt auth: claim \"%s\" holds a control character: not sent as %s",
                         h->claim, h->header);
        }
    }
    return BN_OK;
}

int
bn_auth_jwt(bn_request_t *r, bn_auth_try_t *t)
{
    const bn_conf_auth_t *a = t->policy;
    const bn_conf_from_t *where;
    const bn_json_t *sub;
    const char *token, *why = NULL;
    bn_jwt_rules_t rules;
    bn_jwt_t jwt;
    jwks_local_t *l;
    size_t len;
    int rc;

    /* The client's own headers of claims_to_headers' names are gone
     * already (access_auth.c). */
    if (bn_auth_credential(r, a, &token, &len, &where) != BN_OK) {
        return BN_DECLINED;
    }
    t->sent = true;
    rules.algorithms = a->jwt.algorithms;
    rules.issuer = a->jwt.issuer;
    rules.audience = a->jwt.audience;
    rules.naudience = a->jwt.naudience;
    rules.leeway = (int64_t) (a->jwt.leeway / 1000);
    l = a->jwt.jwks != NULL ? local_of(a) : NULL;
    if (keys_of(a, l) == NULL) {
        /* Only a jwks_url, not fetched yet: as for an unknown kid. */
        why = "no keys yet: the jwks_url has not answered";
        rc = BN_DECLINED;
    } else {
        rc = bn_jwt_verify(r->pool, token, len, keys_of(a, l), &rules, (int64_t) time(NULL), &jwt,
                           &why);
    }
    if (rc == BN_DECLINED && a->jwt.jwks != NULL) {
        rc = wait_for_kid(r, t, l);
        if (rc == BN_AGAIN) {
            return rc;
        }
    }
    if (rc != BN_OK) {
        bn_log_error(BN_LOG_INFO, &r->client->log, 0, "jwt auth: token refused: %s",
                     why ? why : "invalid");
        return 401;
    }
    for (size_t i = 0; i < a->jwt.nrequire; i++) {
        if (!holds(jwt.claims, &a->jwt.require[i])) {
            bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                         "jwt auth: the token's claim \"%s\" does not meet require",
                         a->jwt.require[i].claim);
            return 403;
        }
    }
    sub = bn_json_get(jwt.claims, "sub");
    if (sub != NULL && sub->type == BN_JSON_STRING && bn_str_has_ctl(sub->str, sub->len)) {
        /* $auth_user goes into header lines and names the user: "alice\u0000x"
         * must not become "alice", nor "a\r\nX-User: b" a line of its own. */
        bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                     "jwt auth: the token's sub claim holds a control character");
        return 401;
    }
    if (bn_auth_passed(r, "jwt", sub && sub->type == BN_JSON_STRING ? sub->str : "",
                       sub && sub->type == BN_JSON_STRING ? sub->len : 0)
            != BN_OK
        || claims_to_headers(r, a, jwt.claims) != BN_OK
        || (r->route->strip_credentials && bn_auth_strip(r, a) != BN_OK)) {
        return 500;
    }
    r->jwt_claims = jwt.claims;
    return BN_OK;
}
