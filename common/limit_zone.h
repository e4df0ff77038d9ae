/*
 * limit_zone.h: the shared-memory zones of rate_limits and limit_conn.
 * The master maps one per rule before it forks (kept across reloads by
 * name, as cache zones are); every worker decides in it under its lock, so
 * a budget is exact however many workers share it.
 *
 * A rate zone holds a GCRA arrival time per key (gcra.h) and, when full,
 * forgets its least recently used keys: a forgotten key starts afresh,
 * which costs at most one burst.  A conn zone holds a count per key, and
 * who holds it, per process, so that the master gives back what a worker
 * that died held; a key whose count falls to 0 goes at once.
 */
#ifndef BN_LIMIT_ZONE_H
#define BN_LIMIT_ZONE_H

#include "bouncer.h"

enum { BN_LIMIT_RATE = 0, BN_LIMIT_CONN };

typedef struct bn_limit_zone_s bn_limit_zone_t;

/* NULL with errno.  memory is at least 64 KiB. */
bn_limit_zone_t *bn_limit_zone_create(const char *name, int kind, size_t memory);
void bn_limit_zone_destroy(bn_limit_zone_t *z);
const char *bn_limit_zone_name(const bn_limit_zone_t *z);
int bn_limit_zone_kind(const bn_limit_zone_t *z);
size_t bn_limit_zone_memory(const bn_limit_zone_t *z);

/* A rate decision for key at now (monotonic microseconds), as bn_gcra(). */
int bn_limit_rate(bn_limit_zone_t *z, const char *key, size_t len, int64_t now, int64_t interval,
                  unsigned burst, int64_t *ahead, int64_t *retry);

/*
 * Takes one of key's max slots for process proc.  BN_OK: taken (give it
 * back with bn_limit_conn_give()); BN_DECLINED: max are held.  A zone too
 * full for a new key lets the request through uncounted (*counted false):
 * a limit must never fail a request it cannot count.
 */
int bn_limit_conn_take(bn_limit_zone_t *z, const char *key, size_t len, unsigned max, int proc,
                       bool *counted);
void bn_limit_conn_give(bn_limit_zone_t *z, const char *key, size_t len, int proc);

/* Master: gives back every slot process proc held (it died). */
void bn_limit_conn_release_proc(bn_limit_zone_t *z, int proc);

#endif
