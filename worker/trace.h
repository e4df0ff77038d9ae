/*
 * trace.h: W3C Trace Context (https://www.w3.org/TR/trace-context/) for
 * each request, with log.trace_context on: the client's traceparent is
 * continued (its trace id, a span id of bouncer's own as the parent-id the
 * upstream gets, its flags) with its tracestate, or a fresh one is made.
 */
#ifndef BN_WORKER_TRACE_H
#define BN_WORKER_TRACE_H

#include "types.h"

typedef struct bn_trace_s {
    char trace_id[33];
    char span_id[17]; /* bouncer's span: the parent-id the upstream gets */
    char flags[3];
    const char *tracestate; /* the client's, lines joined; NULL: none, or not continued */
    bool continued;         /* the client's traceparent was valid */
} bn_trace_t;

/* 64 random bits from the worker's generator (seeded by getrandom(2)):
 * for ids (trace, span, request), never for keys. */
uint64_t bn_random64(void);

/*
 * r's trace context, made on first call (in r's pool) and the same for the
 * rest of the request.  NULL when log.trace_context is off (or memory ran
 * out).
 */
const bn_trace_t *bn_trace(bn_request_t *r);
/* $trace_id: bn_trace()'s trace id, or NULL. */
const char *bn_trace_id(bn_request_t *r);
/* Whether the client's header name is one bouncer writes itself upstream
 * (traceparent, tracestate, with trace context on). */
bool bn_trace_replaces(const char *name, size_t len);
/* The "traceparent: ...\r\n" and "tracestate: ...\r\n" lines for the
 * upstream, in r's pool: "" when trace context is off, NULL when memory
 * runs out. */
char *bn_trace_upstream_lines(bn_request_t *r);

#endif
