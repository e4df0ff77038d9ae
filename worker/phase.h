/*
 * phase.h: the request's phases.  Once its head is parsed, a request moves
 * through them in order; each phase's handler says go on, answered, an
 * error status, or wait.  A waiting request is parked with r->phase (and,
 * in ACCESS, r->access_next) saying where it resumes; whatever it waits
 * for calls bn_phase_run() again.  Nothing polls.
 *
 *   SERVER      Host -> server block; 421 when the TLS handshake chose another
 *   POST_READ   the client's address (real_ip is the server block's)
 *   REDIRECT    redirect_http: plain HTTP to HTTPS
 *   ROUTE       the first route that matches; its rewrite
 *   ACCESS      the route's access handlers, in order (built at start)
 *   PREPARE     the route's body limit; what proxying needs (heads, buffers)
 *   CACHE       purge, lookup; a hit is answered here
 *   CONTENT     respond, redirect, or the upstream (a tunnel after 101)
 *
 * The LOG phase is the request's end (finalize_request() in http.c).
 */
#ifndef BN_PHASE_H
#define BN_PHASE_H

#include "http.h"

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
    bool (*wanted)(const bn_conf_route_t *rt);
    bn_phase_handler_pt handler;
};

/* Runs r's phases from r->phase on, until one answers, fails or waits. */
void bn_phase_run(bn_request_t *r);

const char *bn_phase_name(unsigned phase);

/* Builds every route's list of access handlers; at worker start. */
int bn_phase_init(bn_conf_t *conf);

/* The phase handlers, each in the file of what it does. */
int bn_route_phase_server(bn_request_t *r);
int bn_route_phase_post_read(bn_request_t *r);
int bn_route_phase_redirect(bn_request_t *r);
int bn_route_phase_route(bn_request_t *r);
int bn_http_phase_prepare(bn_request_t *r);
int bn_cache_phase(bn_request_t *r);
int bn_http_phase_content(bn_request_t *r);

/* The access handlers (access_*.c). */
extern const bn_access_module_t bn_access_acl;

#endif
