/*
 * access_limit.c: the route's rate_limit and limit_conn rules, two access
 * handlers: one before authentication for the rules keyed on the client
 * (an unauthenticated flood is cut before it costs a signature check),
 * one after it for those keyed on who authenticated ($auth_*,
 * $jwt_claim_*, $api_key_name).
 *
 * A rate rule decides in its shared zone (limit_zone.h, GCRA): within the
 * rate or the first `delay` requests of a burst, on at once; further ones
 * up to `burst` are parked on a timer until their turn; beyond, rejected
 * with Retry-After and the RateLimit fields of the IETF httpapi draft.
 * A conn rule holds one slot of its key until the request (or its tunnel)
 * ends: a pool cleanup gives it back.
 */
#include "access_limit.h"
#include "../common/metrics.h"
#include "redis.h"
#include "variables.h"
#include "../common/clock.h"
#include "../common/limit_zone.h"
#include "../common/str.h"

#define LOG_LINES_PER_SECOND 5 /* rejections logged per rule and second, per worker */

typedef struct {
    bool identity;       /* which of the two handlers this is */
    unsigned next_rate;  /* the rule to go on with after a wait */
    bool conns_taken;
    bn_timer_t timer;    /* a delayed request's turn */
    bn_request_t *r;
    bool cleanup_set;
    /* A cluster rule's decision, asked of Redis. */
    bn_redis_call_t *call; /* in flight */
    bool answered;
    int redis_rc;
    int64_t redis_ahead, redis_retry;
} limit_ctx_t;

typedef struct {
    bn_limit_zone_t *zone;
    char *key;
    size_t len;
} held_t;

/* Per rule and worker: what was logged in the current second. */
typedef struct {
    time_t second;
    unsigned lines;
    unsigned suppressed;
    uint64_t keys[LOG_LINES_PER_SECOND]; /* hashes of the keys logged this second */
} log_state_t;

static log_state_t *rate_logs, *conn_logs;
static bn_timer_t summary_timer; /* says, a second on, how many lines were left out */

/* The line for what a rule left out of the log; its second starts over. */
static void
summarize(log_state_t *ls, const char *kind, const char *rule, const char *what)
{
    if (ls->suppressed > 0) {
        bn_log_error(BN_LOG_WARN, NULL, 0, "%u more %s by %s \"%s\" in the last second",
                     ls->suppressed, what, kind, rule);
    }
    ls->second = bn_current_sec;
    ls->lines = 0;
    ls->suppressed = 0;
}

static void
summaries(bn_timer_t *t)
{
    const bn_conf_t *c = bn_heritage.conf;

    (void) t;
    for (size_t i = 0; i < c->nrate_limits; i++) {
        summarize(&rate_logs[i], "rate_limit", c->rate_limits[i].name,
                  c->rate_limits[i].dry_run ? "would have rejected" : "rejected");
    }
    for (size_t i = 0; i < c->nlimit_conns; i++) {
        summarize(&conn_logs[i], "limit_conn", c->limit_conns[i].name, "rejected");
    }
}

/*
 * A rejection at warn, naming rule, key and route: a key at most once a
 * second, a rule at most LOG_LINES_PER_SECOND lines a second and then one
 * line saying how many it left out, so a flood from many addresses cannot
 * flood the log.
 */
static void
log_rejection(bn_request_t *r, log_state_t *ls, const char *kind, const char *rule,
              const char *key, size_t len, const char *what)
{
    uint64_t h = bn_fnv1a(BN_FNV1A_START, key, len);
    char shown[128];
    bn_line_t l;

    if (ls == NULL) {
        return;
    }
    if (ls->second != bn_current_sec) {
        summarize(ls, kind, rule, what);
    }
    for (unsigned i = 0; i <= ls->lines; i++) {
        if (i == ls->lines ? ls->lines == LOG_LINES_PER_SECOND : ls->keys[i] == h) {
            ls->suppressed++;
            if (!bn_timer_armed(&summary_timer)) {
                summary_timer.handler = summaries;
                bn_timer_set(&summary_timer, 1000);
            }
            return;
        }
    }
    ls->keys[ls->lines++] = h;
    bn_line_init(&l, shown, sizeof(shown));
    bn_line_escape(&l, key, len > 96 ? 96 : len, BN_ESCAPE_LOG);
    bn_log_error(BN_LOG_WARN, &r->client->log, 0, "%s by %s \"%s\" for key \"%s%s\" on route %s",
                 what, kind, rule, shown, len > 96 ? "..." : "", r->route->match);
}

static int
logs_init(void)
{
    const bn_conf_t *c = bn_heritage.conf;

    if (rate_logs == NULL) {
        rate_logs = calloc(c->nrate_limits + 1, sizeof(*rate_logs));
        conn_logs = calloc(c->nlimit_conns + 1, sizeof(*conn_logs));
    }
    return rate_logs != NULL && conn_logs != NULL ? BN_OK : BN_ERROR;
}

/* The answer to a request a rule refused: status, Retry-After, RateLimit. */
static int
refuse(bn_request_t *r, const char *rule, unsigned status, int64_t retry_us, unsigned quota,
       unsigned window)
{
    int64_t secs = (retry_us + 999999) / 1000000;
    char extra[512];

    if (secs < 1) {
        secs = 1;
    }
    r->rate_limit = rule;
    if (quota > 0) {
        /* draft-ietf-httpapi-ratelimit-headers-08 and later. */
        snprintf(extra, sizeof(extra),
                 "Retry-After: %" PRId64 "\r\nRateLimit-Policy: \"%s\";q=%u;w=%u\r\n"
                 "RateLimit: \"%s\";r=0;t=%" PRId64 "\r\n",
                 secs, rule, quota, window, rule, secs);
    } else {
        snprintf(extra, sizeof(extra), "Retry-After: %" PRId64 "\r\n", secs);
    }
    r->ops->respond(r, (int) status, bn_pstrdup(r->pool, extra), NULL, NULL);
    return BN_DONE;
}

static void
give_back(void *data)
{
    held_t *h = data;

    bn_limit_conn_give(h->zone, h->key, h->len, bn_heritage.proc);
}

static int
take_conns(bn_request_t *r, limit_ctx_t *x)
{
    const bn_conf_route_t *rt = r->route;

    for (size_t i = 0; i < rt->nlimit_conns; i++) {
        bn_conf_limit_conn_t *lc = rt->limit_conns[i];
        char *key;
        size_t len;
        bool counted;
        held_t *h;

        if (lc->identity != x->identity) {
            continue;
        }
        key = bn_var_expand(r, &lc->key);
        if (key == NULL) {
            return 500;
        }
        len = strlen(key);
        if (len == 0) {
            continue; /* an empty key is not limited */
        }
        if (bn_limit_conn_take(lc->zone, key, len, lc->max, bn_heritage.proc, &counted)
            == BN_DECLINED) {
            log_rejection(r, &conn_logs[lc - bn_heritage.conf->limit_conns], "limit_conn",
                          lc->name, key, len, "rejected");
            bn_metric_add(lc->metrics, BN_MV_RATE_REJECTED, 1);
            return refuse(r, lc->name, lc->status, 1000000, 0, 0);
        }
        if (!counted) {
            continue;
        }
        h = bn_palloc(r->pool, sizeof(*h));
        if (h == NULL || bn_pool_cleanup_add(r->pool, give_back, h) != BN_OK) {
            bn_limit_conn_give(lc->zone, key, len, bn_heritage.proc);
            return 500;
        }
        h->zone = lc->zone;
        h->key = key;
        h->len = len;
    }
    return BN_OK;
}

static void
turn_came(bn_timer_t *t)
{
    limit_ctx_t *x = t->data;

    bn_phase_wake(x->r);
}

static void
forget(void *data)
{
    limit_ctx_t *x = data;

    bn_timer_del(&x->timer);
    if (x->call != NULL) {
        bn_redis_cancel(x->call);
        x->call = NULL;
    }
}

static void
redis_answered(void *data, int rc, int64_t ahead, int64_t retry)
{
    limit_ctx_t *x = data;

    x->call = NULL;
    x->answered = true;
    x->redis_rc = rc;
    x->redis_ahead = ahead;
    x->redis_retry = retry;
    bn_phase_wake(x->r);
}

/*
 * A cluster rule: Redis decides, the request parked meanwhile; BN_AGAIN
 * while it does.  Without Redis, on_error: this host's own zone at the same
 * rate ("local"), no limit ("allow"), or 503 ("deny", as *rc).
 */
static int
cluster_decision(limit_ctx_t *x, const bn_conf_rate_limit_t *rl, const char *key, size_t len,
                 int64_t *ahead, int64_t *retry)
{
    int rc = BN_ERROR;

    if (x->answered) {
        x->answered = false;
        rc = x->redis_rc;
        *ahead = x->redis_ahead;
        *retry = x->redis_retry;
    } else {
        x->call = bn_redis_gcra(key, len, rl->interval, rl->burst, redis_answered, x);
        if (x->call != NULL) {
            return BN_AGAIN;
        }
    }
    if (rc != BN_ERROR) {
        return rc;
    }
    switch (bn_heritage.conf->redis.on_error) {
    case BN_REDIS_ON_ERROR_ALLOW:
        *ahead = *retry = 0;
        return BN_OK;
    case BN_REDIS_ON_ERROR_DENY:
        return 503;
    default:
        return bn_limit_rate(rl->zone, key, len, bn_monotonic_usec(), rl->interval, rl->burst,
                             ahead, retry);
    }
}

static int
run(bn_request_t *r, bool identity, bn_access_id_t id)
{
    const bn_conf_route_t *rt = r->route;
    limit_ctx_t *x = r->access_ctx[id];
    int rc;

    if (x == NULL) {
        if (logs_init() != BN_OK || (x = bn_pcalloc(r->pool, sizeof(*x))) == NULL) {
            return 500;
        }
        x->identity = identity;
        x->r = r;
        r->access_ctx[id] = x;
    }
    for (; x->next_rate < rt->nrate_limits; x->next_rate++) {
        bn_conf_rate_limit_t *rl = rt->rate_limits[x->next_rate];
        int64_t ahead, retry, wait;
        char *key;
        size_t len;

        if (rl->identity != identity) {
            continue;
        }
        key = bn_var_expand(r, &rl->key);
        if (key == NULL) {
            return 500;
        }
        len = strlen(key);
        if (len == 0) {
            continue;
        }
        if (!x->cleanup_set) {
            if (bn_pool_cleanup_add(r->pool, forget, x) != BN_OK) {
                return 500;
            }
            x->cleanup_set = true;
        }
        if (rl->cluster) {
            rc = cluster_decision(x, rl, key, len, &ahead, &retry);
            if (rc == BN_AGAIN) {
                return BN_AGAIN; /* resumes at this rule, with Redis's answer */
            }
            if (rc == 503) {
                return 503; /* on_error = "deny" */
            }
        } else {
            rc = bn_limit_rate(rl->zone, key, len, bn_monotonic_usec(), rl->interval, rl->burst,
                               &ahead, &retry);
        }
        if (rc == BN_DECLINED) {
            log_rejection(r, &rate_logs[rl - bn_heritage.conf->rate_limits], "rate_limit",
                          rl->name, key, len, rl->dry_run ? "would have rejected" : "rejected");
            bn_metric_add(rl->metrics, rl->dry_run ? BN_MV_RATE_DRY_RUN : BN_MV_RATE_REJECTED, 1);
            if (rl->dry_run) {
                continue;
            }
            return refuse(r, rl->name, rl->status, retry, rl->rate_n + rl->burst, rl->rate_window);
        }
        /* Past the first `delay` excess requests, the rest wait their turn. */
        wait = ahead - (int64_t) rl->delay * rl->interval;
        if (wait > 0 && !rl->dry_run) {
            bn_metric_add(rl->metrics, BN_MV_RATE_DELAYED, 1);
            x->timer.handler = turn_came;
            x->timer.data = x;
            x->next_rate++;
            bn_timer_set(&x->timer, (bn_msec_t) ((wait + 999) / 1000));
            return BN_AGAIN;
        }
    }
    if (!x->conns_taken) {
        x->conns_taken = true;
        return take_conns(r, x);
    }
    return BN_OK;
}

static bool
wanted(const bn_conf_route_t *rt, bool identity)
{
    for (size_t i = 0; i < rt->nrate_limits; i++) {
        if (rt->rate_limits[i]->identity == identity) {
            return true;
        }
    }
    for (size_t i = 0; i < rt->nlimit_conns; i++) {
        if (rt->limit_conns[i]->identity == identity) {
            return true;
        }
    }
    return false;
}

static bool
wanted_client(const bn_conf_route_t *rt)
{
    return wanted(rt, false);
}

static bool
wanted_identity(const bn_conf_route_t *rt)
{
    return wanted(rt, true);
}

static int
handler_client(bn_request_t *r)
{
    return run(r, false, BN_ACCESS_LIMIT);
}

static int
handler_identity(bn_request_t *r)
{
    return run(r, true, BN_ACCESS_LIMIT_IDENTITY);
}

const bn_access_module_t bn_access_limit = { "limits", BN_ACCESS_LIMIT, wanted_client,
                                             handler_client };
const bn_access_module_t bn_access_limit_identity = { "limits after auth",
                                                      BN_ACCESS_LIMIT_IDENTITY, wanted_identity,
                                                      handler_identity };
