/*
 * phase.c: the phase engine (phase.h says what each phase does).  The
 * handlers live with what they do; this file only orders them, runs the
 * ACCESS list each route was given at start, and answers a status a
 * handler returns.
 */
#include "phase.h"
#include "access_acl.h"
#include "access_auth.h"
#include "access_limit.h"
#include "access_waf.h"
#include "cache.h"
#include "proxy.h"
#include "route.h"
#include "../common/clock.h"

static const struct {
    const char *name;
    bn_phase_handler_pt handler;
} phases[] = {
    [BN_PHASE_SERVER] = { "server", bn_route_phase_server },
    [BN_PHASE_POST_READ] = { "post_read", bn_route_phase_post_read },
    [BN_PHASE_REDIRECT] = { "redirect", bn_route_phase_redirect },
    [BN_PHASE_ROUTE] = { "route", bn_route_phase_route },
    [BN_PHASE_ACCESS] = { "access", NULL }, /* the route's own list */
    [BN_PHASE_PREPARE] = { "prepare", bn_http_phase_prepare },
    [BN_PHASE_CACHE] = { "cache", bn_cache_phase },
    [BN_PHASE_CONTENT] = { "content", bn_http_phase_content },
};

/*
 * Every access handler, in the order a route runs those it needs: a new
 * check is a file of its own and a line here.
 */
static const bn_access_module_t *const access_modules[] = {
    &bn_access_acl,
    &bn_access_limit,
    &bn_access_auth,
    &bn_access_limit_identity,
    &bn_access_waf,
};

const char *
bn_phase_name(unsigned phase)
{
    return phase < BN_NELEMS(phases) ? phases[phase].name : "done";
}

unsigned
bn_phase_access_list(const bn_conf_route_t *rt, const bn_access_module_t **list)
{
    unsigned n = 0;

    _Static_assert(BN_NELEMS(access_modules) <= BN_PHASE_MAX_ACCESS, "room for every handler");
    for (size_t m = 0; m < BN_NELEMS(access_modules); m++) {
        if (access_modules[m]->wanted(rt)) {
            list[n++] = access_modules[m];
        }
    }
    return n;
}

int
bn_phase_init(bn_conf_t *conf)
{
    for (size_t i = 0; i < conf->nservers; i++) {
        for (size_t k = 0; k < conf->servers[i].nroutes; k++) {
            bn_conf_route_t *rt = &conf->servers[i].routes[k];
            const bn_access_module_t **list;

            list = calloc(BN_PHASE_MAX_ACCESS, sizeof(*list));
            if (list == NULL) {
                return BN_ERROR;
            }
            /* Kept for the worker's life, as the config it belongs to. */
            rt->access = list;
            rt->naccess = bn_phase_access_list(rt, list);
        }
    }
    return BN_OK;
}

/* The ACCESS phase: the route's handlers from where the request stopped.
 * Its time, waits included, is the slow request log's "access". */
static int
run_access(bn_request_t *r)
{
    const bn_conf_route_t *rt = r->route;

    if (r->access_start_msec == 0) {
        r->access_start_msec = bn_current_msec;
    }
    while (r->access_next < rt->naccess) {
        int rc = rt->access[r->access_next]->handler(r);
        if (rc == BN_DONE) {
            return rc; /* answered: r may be gone (and its end was logged) */
        }
        if (rc != BN_OK) {
            if (rc != BN_AGAIN) {
                r->access_end_msec = bn_current_msec;
            }
            return rc;
        }
        r->access_next++;
    }
    r->access_end_msec = bn_current_msec;
    return BN_OK;
}

static void
woken(bn_posted_t *p)
{
    bn_phase_run(p->data);
}

int
bn_phase_run_until(bn_request_t *r, unsigned until)
{
    BN_CHECK_OBJ(r, BN_REQUEST_MAGIC);
    BN_ASSERT(until <= BN_PHASE_ACCESS);
    while (r->phase < until) {
        int rc = phases[r->phase].handler(r);
        if (rc != BN_OK) {
            return rc;
        }
        r->phase++;
    }
    return BN_OK;
}

void
bn_phase_run(bn_request_t *r)
{
    BN_CHECK_OBJ(r, BN_REQUEST_MAGIC);
    while (r->phase < BN_PHASE_DONE) {
        int rc = r->phase == BN_PHASE_ACCESS ? run_access(r) : phases[r->phase].handler(r);

        if (rc == BN_OK) {
            r->phase++;
            continue;
        }
        if (rc == BN_AGAIN) {
            /* Parked: bn_phase_wake() resumes it where it stopped. */
            r->wake.handler = woken;
            r->wake.data = r;
            return;
        }
        if (rc == BN_DONE) {
            /* Answered, or handed on: r is no longer the engine's.  It may
             * even be gone, and its memory the next pipelined request's,
             * begun by the answer's end: touch nothing. */
            return;
        }
        BN_ASSERT(rc >= 400 && rc <= 599);
        r->phase = BN_PHASE_DONE;
        r->ops->respond(r, rc, NULL, NULL, NULL);
        return;
    }
}
