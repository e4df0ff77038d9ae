/*
 * auth.h: the authentication methods that access_auth.c runs for a route's
 * policy, a file each: auth_basic.c, auth_jwt.c, auth_api_key.c and
 * auth_forward.c.  What one method tried is a bn_auth_try_t, kept in the
 * request across a wait.
 */
#ifndef BN_WORKER_AUTH_H
#define BN_WORKER_AUTH_H

#include "types.h"

typedef struct {
    const bn_conf_auth_t *policy;
    void *state;     /* the method's own, while it waits */
    bool sent;       /* a credential of the method's kind came (Bearer's error=) */
    int result;      /* what the wait ended with, for the method to read */
    bool registered; /* the method's pool cleanup is in place */
    /* Waiting on what another request started: the JWKS fetch an
     * unknown kid asked for, the same password check. */
    bn_list_t wait_link;
    bn_request_t *waiter;
    bn_timer_t kid_timer;
    const char *extra; /* 401/403 from forward auth: the service's header lines */
    const char *ctype; /* ... its Content-Type */
    const char *body;  /* ... and body */
} bn_auth_try_t;

/*
 * A method's check.  Returns BN_OK: passed (r->auth_user and the rest
 * set); BN_DECLINED: the request carries no credential of this kind;
 * BN_AGAIN: parked, called again when woken (t->state is its own); 401: a
 * credential that fails; 403: one that passed but is not allowed; 503:
 * no decision could be had.  Each logs why at info.
 */
int bn_auth_basic(bn_request_t *r, bn_auth_try_t *t);
int bn_auth_jwt(bn_request_t *r, bn_auth_try_t *t);
int bn_auth_api_key(bn_request_t *r, bn_auth_try_t *t);
int bn_auth_forward(bn_request_t *r, bn_auth_try_t *t);

/* Sets $auth_user and $auth_method (user copied into r's pool). */
int bn_auth_passed(bn_request_t *r, const char *method, const char *user, size_t len);

/*
 * The credential where `from` says, first place that has one: a header
 * (Authorization needs "Bearer "; another header's whole value, a
 * "Bearer " prefix dropped), a cookie, a query argument.  *where is the
 * place it came from.  BN_DECLINED: none.
 */
int bn_auth_credential(bn_request_t *r, const bn_conf_auth_t *a, const char **v, size_t *len,
                       const bn_conf_from_t **where);

/*
 * strip_credentials: what every place of a's from carries is not passed
 * upstream: the one the credential came from, and the others, where the
 * client may have sent it again.
 */
int bn_auth_strip(bn_request_t *r, const bn_conf_auth_t *a);

#endif
