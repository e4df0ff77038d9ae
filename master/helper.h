/*
 * helper.h: the pieces of the helper process, the one the master forks next
 * to its workers (helper_*.c), shared between those files and with
 * master.c, which forks it.  Nothing here is seen by workers.  It does not
 * include master.h: the helper's files use nothing of the master's.
 */
#ifndef BN_HELPER_H
#define BN_HELPER_H

#include "../common/bouncer.h"
#include "../common/cache.h"
#include "../common/conf.h"
#include "../common/log.h"

#include <poll.h>

/* helper_main.c: the process and its loop. */
/* Whether conf needs a helper process. */
bool bn_helper_needed(const bn_conf_t *conf);
/* Runs the helper process (health checks, name resolution, the cache
 * loader and manager); never returns. */
_Noreturn void bn_helper_main(void);

/* helper_health.c: active health checks. */
typedef struct bn_probe_s bn_probe_t;
/* Sets up a probe per checked server, *n of them; BN_ERROR when out of
 * memory. */
int bn_health_init(bn_conf_t *conf, size_t *n);
/* Starts due probes, fails timed-out ones; adds the sockets they wait on
 * to pfd/owner at *n; returns when it next needs to run. */
uint64_t bn_health_poll(struct pollfd *pfd, bn_probe_t **owner, nfds_t *n);
void bn_health_event(bn_probe_t *pr, short revents);

/* helper_resolve.c: re-resolving names of servers with resolve. */
typedef struct bn_lookup_s bn_lookup_t;
/* Sets up a lookup per such server; returns how many. */
size_t bn_resolve_init(bn_conf_t *conf);
/* Starts due lookups, ends timed-out ones; adds the sockets waiting for an
 * answer to pfd/owner at *n; returns when it next needs to run. */
uint64_t bn_resolve_poll(struct pollfd *pfd, bn_lookup_t **owner, nfds_t *n);
void bn_resolve_event(bn_lookup_t *l);

/* helper_jwks.c: fetching the JWKS of jwt policies with a jwks_url. */
typedef struct bn_jwks_fetch_s bn_jwks_fetch_t;
/* Sets up a fetcher per such policy; returns how many poll slots they need. */
size_t bn_jwks_init(bn_conf_t *conf);
/* Starts due fetches, fails timed-out ones; adds what they wait on to
 * pfd/owner at *n; returns when it next needs to run. */
uint64_t bn_jwks_poll(struct pollfd *pfd, bn_jwks_fetch_t **owner, nfds_t *n);
void bn_jwks_event(bn_jwks_fetch_t *f, int fd, short revents);

/* helper_cache.c: the cache loader and manager. */
/*
 * The loader: indexes the files already under the zone's path (a restart
 * keeps the cache, and so does an index rebuilt after a process died
 * holding its lock) and removes temporary files of writers that died.
 * Returns the number of entries indexed; 0 at once when the index has had
 * them since it was last built.  Blocking on the disk: the helper process
 * runs it, never a worker.
 */
size_t bn_cache_zone_load(bn_cache_zone_t *z);

/* The manager: drops entries unused for longer than inactive. */
void bn_cache_expire_inactive(bn_cache_zone_t *z);

/* Runs the loader on every zone of conf, and logs what it found. */
void bn_cache_load_zones(const bn_conf_t *conf);

#endif
