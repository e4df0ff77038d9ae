/*
 * explain.h: `bouncer explain`, what a worker would do with one request,
 * worked out from the config alone.  The command line (master/main.c) asks;
 * the answer comes from the worker's own code (worker/explain.c) run on a
 * request made without a connection, so that it cannot drift from what a
 * worker does.  As with bn_worker_main() in heritage.h, the entry point is
 * declared here so that master/ never includes a worker/ header.
 */
#ifndef BN_EXPLAIN_H
#define BN_EXPLAIN_H

#include "conf.h"

typedef struct {
    const char *method;
    const char *url;      /* http://host[:port]/path?query or https://... */
    const char **headers; /* "Name: value" lines, as the client would send */
    size_t nheaders;
    const char *from; /* the client's address; NULL: 127.0.0.1 */
} bn_explain_query_t;

/* One line of the answer: "key: value"; several of a key make a list. */
typedef struct {
    const char *key;
    const char *value;
} bn_explain_line_t;

typedef struct {
    bn_pool_t *pool; /* the lines and their text; the caller destroys it */
    bn_explain_line_t *lines;
    size_t n, cap;
    int status;      /* what a worker answers itself (400, 404, 421, 308...); 0: none */
    const char *why; /* ... and why */
} bn_explain_t;

/*
 * Explains q against conf (loaded, not started: no shared zones needed).
 * BN_OK with the answer in *e (its pool made here); BN_ERROR when q is no
 * request at all (a URL that does not parse), with e->why saying so, or
 * when memory runs out.  Call bn_explain_free() either way.
 */
int bn_explain(bn_conf_t *conf, const bn_explain_query_t *q, bn_explain_t *e);
void bn_explain_free(bn_explain_t *e);

#endif
