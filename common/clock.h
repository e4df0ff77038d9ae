/*
 * clock.h: the cached clock.  Reading the time once per event-loop iteration
 * keeps gettimeofday() off the per-request path; every log line and timer of
 * that iteration shares it.
 */
#ifndef BN_CLOCK_H
#define BN_CLOCK_H

#include "bouncer.h"
#include <time.h>

typedef uint64_t bn_msec_t;

extern bn_msec_t bn_current_msec; /* monotonic, for timers */
extern time_t bn_current_sec;     /* wall clock, for logs and Date */

void bn_time_update(void);

/* The monotonic clock now, in microseconds: rate limits read it fresh (the
 * loop's bn_current_msec is too coarse for a thousand requests a second),
 * and every process reads the same clock. */
static inline int64_t
bn_monotonic_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *bn_time_errlog(void);   /* 2026/11/26 16:46:34 */
const char *bn_time_http(void);     /* Thu, 26 Nov 2026 16:46:34 GMT */
const char *bn_time_combined(void); /* 26/Nov/2026:16:46:34 +0000 */
const char *bn_time_iso8601(void);  /* 2026-11-26T16:46:34.123+00:00 */

#endif
