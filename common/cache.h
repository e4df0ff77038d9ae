/*
 * cache.h: the index of a cache zone, in shared memory.  Every worker
 * finds entries here; bodies are files under the zone's path, one per
 * entry, named by the key's hash.  The index holds what a lookup needs
 * without opening the file: freshness, size, status.
 *
 * Entries live in the zone's slab (common/slab.h) and are found through a
 * hash table in its reserved area; a least-recently-used list orders them
 * for eviction when the index's memory or the disk bound (max_size) runs
 * out.  All of it under the zone's lock.
 */
#ifndef BN_CACHE_H
#define BN_CACHE_H

#include "bouncer.h"
#include "cache_meta.h"
#include "log.h"

typedef struct bn_cache_zone_s bn_cache_zone_t;

/* The identity of a cache key: the first 16 bytes of its SHA-256. */
void bn_cache_key(const char *key, size_t len, unsigned char *out);

/* Maps a zone (master, before forking); bn_cache_zone_limits() then bounds
 * it.  NULL with errno on failure. */
bn_cache_zone_t *bn_cache_zone_create(const char *name, const char *path, size_t memory);
/* Unmaps a zone no process uses (the master, after a failed reload). */
void bn_cache_zone_destroy(bn_cache_zone_t *z);
const char *bn_cache_zone_name(const bn_cache_zone_t *z);
const char *bn_cache_zone_path(const bn_cache_zone_t *z);
/* The zone's wake eventfd, made with it (so inherited by every worker and
 * kept across reloads as the zone is): bn_cache_unlock()'s caller writes it
 * when requests wait for the key, and every worker's waiters look again. */
int bn_cache_zone_wake_fd(const bn_cache_zone_t *z);

/*
 * The memory tier: entries whose header lines and body together are at most
 * hot_max_object bytes keep a copy in the zone's shared memory, up to
 * hot_memory bytes of it (the copies used least recently give way, and give
 * way to the index itself).  A hit on such an entry opens no file.
 * The master sets these bounds, and max_size and inactive, when it makes
 * the zone and again on every reload.
 */
void bn_cache_zone_limits(bn_cache_zone_t *z, uint64_t max_size, uint64_t inactive_msec,
                          size_t hot_max_object, size_t hot_memory);
/* The largest copy the tier takes; 0 when it is off. */
size_t bn_cache_hot_max(bn_cache_zone_t *z);
/* Copies the entry m's copy (header lines, then body) into buf, if it has
 * one of that version (stored and size as in m) that fits len. */
bool bn_cache_hot_get(bn_cache_zone_t *z, const bn_cache_meta_t *m, char *buf, size_t len,
                      size_t *got, size_t *lines_len);
/* Gives the entry m (if still that version) a copy of data. */
void bn_cache_hot_put(bn_cache_zone_t *z, const bn_cache_meta_t *m, const char *data, size_t len,
                      size_t lines_len);

/* Finds key; on a hit copies its metadata to *m and marks it used. */
bool bn_cache_lookup(bn_cache_zone_t *z, const unsigned char *key, bn_cache_meta_t *m);

/*
 * Records an entry whose file is in place (replacing one of the same key).
 * Entries evicted to make room (memory, max_size) or unused for longer than
 * inactive are removed from the index, and their files too.
 */
void bn_cache_insert(bn_cache_zone_t *z, const bn_cache_meta_t *m);

/*
 * A write into the zone's folder failed (a full disk: ENOSPC, EIO...): counts
 * it and logs it on log, at most once a second per zone whichever worker
 * sees it.  What the client gets is not the cache's business: the caller
 * only gives up the copy it was storing.
 */
void bn_cache_write_failed(bn_cache_zone_t *z, const bn_log_t *log, int err, const char *file);
/* How many there were since the zone was made. */
uint64_t bn_cache_write_failures(bn_cache_zone_t *z);
/* Entries dropped to make room or for being unused longer than inactive. */
uint64_t bn_cache_evictions(bn_cache_zone_t *z);

/* Drops key from the index and unlinks its file; false when it was not there. */
bool bn_cache_remove(bn_cache_zone_t *z, const unsigned char *key);

/* The file of key: PATH/ab/abcdef... (hex).  buf holds PATH_MAX. */
void bn_cache_file(const bn_cache_zone_t *z, const unsigned char *key, char *buf, size_t len);

/*
 * The fill lock of a key (cache.lock): true when the caller may fetch it
 * (nobody else is, or their claim is older than hold_msec), false while
 * another request holds it (which marks the key waited for).  *token
 * says whose claim it is: bn_cache_unlock() gives up that claim only, never
 * one another request took after this one outlived hold_msec.  It returns
 * true when someone may be waiting for the key.
 */
bool bn_cache_lock(bn_cache_zone_t *z, const unsigned char *key, uint64_t now_msec,
                   uint64_t hold_msec, uint64_t *token);
bool bn_cache_unlock(bn_cache_zone_t *z, const unsigned char *key, uint64_t token);

/* Entries and bytes on disk now, for tests and status. */
void bn_cache_usage(bn_cache_zone_t *z, size_t *entries, uint64_t *bytes);

#endif
