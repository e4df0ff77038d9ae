/*
 * slab.h: a slab allocator over one shared-memory zone, with the zone's
 * lock.  The master maps a zone (bn_slab_create) before it forks; every
 * worker then allocates and frees in it, under the lock, with offsets that
 * mean the same in every process (the mapping is inherited at one address).
 *
 * The zone is cut into pages of BN_SLAB_PAGE bytes.  Each page serves one
 * size class (powers of two from 16 to half a page); a class keeps a list
 * of its pages that have free chunks, and a page's free chunks are linked
 * through themselves.  A page whose chunks are all free goes back to the
 * zone.  Requests above half a page are refused: what lives here (cache
 * index entries, rate-limit buckets) is small, bodies live on disk.
 *
 * The lock is a process-shared robust mutex: a worker killed while holding
 * it cannot stop the others (the next locker rebuilds and goes on).
 */
#ifndef BN_SLAB_H
#define BN_SLAB_H

#include "bouncer.h"

#include <pthread.h>

#define BN_SLAB_PAGE 4096

typedef struct bn_slab_s bn_slab_t;

/* Maps a zone of size bytes (rounded down to whole pages); the first pages
 * hold the allocator's own bookkeeping and `reserve` bytes for the caller
 * (bn_slab_data).  NULL with errno on failure. */
bn_slab_t *bn_slab_create(size_t size, size_t reserve);
void bn_slab_destroy(bn_slab_t *s);

/* The caller's reserved area: its header, hash buckets, and the like. */
void *bn_slab_data(bn_slab_t *s);

/*
 * Takes the zone's lock.  Returns true when its last holder died holding it,
 * perhaps halfway through a change: then every chunk of the slab is free
 * again, and the caller must rebuild what it keeps in the zone (its reserved
 * area and its chunks) from nothing before it unlocks.
 */
bool bn_slab_lock(bn_slab_t *s);
void bn_slab_unlock(bn_slab_t *s);

/* Under the lock.  NULL when the zone is full (the caller evicts and tries
 * again) or size is above BN_SLAB_PAGE / 2. */
void *bn_slab_alloc_locked(bn_slab_t *s, size_t size);
void bn_slab_free_locked(bn_slab_t *s, void *p);

typedef struct {
    size_t pages, free_pages;
    size_t used_bytes; /* in chunks handed out */
} bn_slab_stats_t;

void bn_slab_stats_locked(bn_slab_t *s, bn_slab_stats_t *st);

#endif
