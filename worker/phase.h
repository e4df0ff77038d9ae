/*
 * phase.h: the request's phases.  Once its head is parsed, a request moves
 * through them in order; each phase's handler says go on, answered, an
 * error status, or wait.  A waiting request is parked with r->phase (and,
 * in ACCESS, r->access_next) saying where it resumes; whatever it waits
 * for calls bn_phase_wake() when it comes.  Nothing polls.
 *
 * Parking rules.  A handler that returns BN_AGAIN has armed what wakes
 * it, and a deadline of its own (the subrequest's timeout, the limit's
 * delay): the engine sets none.  A client that closes its connection
 * while its request is parked ends the request at once (499, logged);
 * the handler's pool cleanups undo what it started.
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

#include "phase_types.h"

/* Runs r's phases from r->phase on, until one answers, fails or waits. */
void bn_phase_run(bn_request_t *r);

const char *bn_phase_name(unsigned phase);
/*
 * Runs r's phases from r->phase up to until (at most ACCESS: those that
 * need nothing but the config and the head), answering nothing: BN_OK when
 * r reached until, else what the phase that stopped returned (a status,
 * BN_DONE when it answered through r->ops).  `bouncer explain` uses it.
 */
int bn_phase_run_until(bn_request_t *r, unsigned until);

/* Every access handler fits in a list of this many. */
#define BN_PHASE_MAX_ACCESS BN_ACCESS_NMODULES
/* The access handlers route rt runs, in order, into list (room for
 * BN_PHASE_MAX_ACCESS); returns how many. */
unsigned bn_phase_access_list(const bn_conf_route_t *rt, const bn_access_module_t **list);

/* Builds every route's list of access handlers; at worker start. */
int bn_phase_init(bn_conf_t *conf);

#endif
