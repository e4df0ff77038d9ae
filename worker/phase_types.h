/*
 * phase_types.h: the request's phases and their handlers' types (phase.h
 * says what each phase does), apart from the engine so that a handler's
 * file includes no header of the file that calls it.
 */
#ifndef BN_WORKER_PHASE_TYPES_H
#define BN_WORKER_PHASE_TYPES_H

#include "types.h"

typedef enum {
    BN_PHASE_SERVER = 0,
    BN_PHASE_POST_READ,
    BN_PHASE_REDIRECT,
    BN_PHASE_ROUTE,
    BN_PHASE_ACCESS,
    BN_PHASE_PREPARE,
    BN_PHASE_CACHE,
    BN_PHASE_CONTENT,
    BN_PHASE_DONE,
} bn_phase_t;

/*
 * A phase or access handler.  Returns BN_OK: go on to the next; BN_DONE:
 * the request was answered, or handed to what answers it; BN_AGAIN: wait,
 * parked, until bn_phase_run() is called for it again; or a status (400 to
 * 599) for the engine to answer with.  A handler that returns a status
 * logs why itself, if it is worth a line.
 */
typedef int (*bn_phase_handler_pt)(bn_request_t *r);

/*
 * An access handler: a check of the ACCESS phase, in its own file.
 * wanted() says at start whether a route needs it, so a route with
 * nothing to check runs no handler at all.
 */
struct bn_access_module_s {
    const char *name;
    bn_access_id_t id; /* its slot in r->access_ctx */
    bool (*wanted)(const bn_conf_route_t *rt);
    bn_phase_handler_pt handler;
};

/*
 * What a parked request waited for has come: its phases go on from the
 * event loop, after the caller returns (never inside it, which may be
 * another request's code).  Inline here, so that what wakes a request
 * needs nothing of the engine that runs it.
 */
static inline void
bn_phase_wake(bn_request_t *r)
{
    BN_CHECK_OBJ(r, BN_REQUEST_MAGIC);
    bn_event_post(&r->wake);
}

#endif
