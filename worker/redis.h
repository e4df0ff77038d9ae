/*
 * redis.h: the worker's client of the Redis that limits with scope =
 * "cluster" share: one connection per worker, on the worker's event loop,
 * many calls in flight on it, each with a timeout of its own.  A decision is
 * the GCRA of common/gcra.h run in Redis by one Lua script, on Redis's
 * clock, so every host that shares the key agrees.
 */
#ifndef BN_REDIS_H
#define BN_REDIS_H

#include "../common/bouncer.h"
#include "../common/conf.h"

typedef struct bn_redis_call_s bn_redis_call_t;

/*
 * rc: BN_OK (the request conforms: ahead_us), BN_DECLINED (it does not:
 * retry_us), BN_ERROR (Redis unavailable: no connection, the call's
 * timeout passed, an error reply; the caller applies on_error).  Runs from
 * the event loop, never inside bn_redis_gcra().
 */
typedef void (*bn_redis_gcra_pt)(void *data, int rc, int64_t ahead_us, int64_t retry_us);

/*
 * The worker's settings (conf must outlive the worker: its generation's
 * config).  Connects on the first call, not here.
 */
void bn_redis_init(const bn_conf_redis_t *conf);
/* At the worker's exit: the connection closed, the calls in flight get
 * BN_ERROR, nothing is left allocated. */
void bn_redis_exit(void);

/*
 * The GCRA decision for key in Redis (EVALSHA of the script; on NOSCRIPT,
 * after a Redis restart or SCRIPT FLUSH, SCRIPT LOAD and once more).
 * interval_us and burst as bn_gcra().  The key is stored as "bouncer:rl:"
 * and the bytes of key.  NULL when the call could not even be queued: Redis
 * is down (calls fail at once then; the connection is re-made in the
 * background), max_pending calls are in flight, or memory ran out; the
 * callback then never runs, and the caller treats that as BN_ERROR.
 */
bn_redis_call_t *bn_redis_gcra(const char *key, size_t len, int64_t interval_us, unsigned burst,
                               bn_redis_gcra_pt cb, void *data);
/* The same at the clock now_us instead of Redis's: for the tests
 * (t/tools/redis_check.c), which compare it with bn_gcra() step by step. */
bn_redis_call_t *bn_redis_gcra_at(const char *key, size_t len, int64_t interval_us,
                                  unsigned burst, int64_t now_us, bn_redis_gcra_pt cb, void *data);

/*
 * The request that made the call went: its callback must not run.  Only
 * before the callback ran.  The call's memory is freed when its reply comes,
 * or when it times out (which drops the connection, as for any call).
 */
void bn_redis_cancel(bn_redis_call_t *c);

/* Whether the last call reached Redis and got its answer (true before any
 * call): for logging on_error once, and recovery once. */
bool bn_redis_up(void);

#endif
