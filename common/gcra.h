/*
 * gcra.h: the generic cell rate algorithm (as in ATM, and in Redis's
 * redis-cell), the arithmetic of every rate limit: one number per key, its
 * theoretical arrival time (TAT), is all the state, so a decision is one
 * read and one write, in shared memory or in one Redis script alike.
 */
#ifndef BN_GCRA_H
#define BN_GCRA_H

#include "bouncer.h"

/*
 * One request at now for a key whose TAT is *tat (0: a key not seen
 * before), at one request per interval, burst more at once.  BN_OK: it
 * conforms; *tat moves on, and *ahead is how far ahead of the rate the key
 * now is (0 within the rate; up to burst * interval), which a delay turns
 * into a wait.  BN_DECLINED: it does not; *tat stays, and *retry is how
 * long until a request would.  All in microseconds.
 */
static inline int
bn_gcra(int64_t *tat, int64_t now, int64_t interval, unsigned burst, int64_t *ahead, int64_t *retry)
{
    int64_t t = *tat > now ? *tat : now;
    int64_t allow_at = t + interval - (int64_t) (burst + 1) * interval;

    if (now < allow_at) {
        *retry = allow_at - now;
        *ahead = 0;
        return BN_DECLINED;
    }
    *tat = t + interval;
    *ahead = t - now;
    *retry = 0;
    return BN_OK;
}

#endif
