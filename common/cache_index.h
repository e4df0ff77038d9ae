/*
 * cache_index.h: the layout of a cache zone's index in shared memory, for
 * the two files that change it: common/cache.c (lookups, inserts, the hot
 * copies and the fill locks, what workers do) and master/helper_cache.c
 * (the helper's loader and manager, which read the disk).  Nobody else
 * includes it: everyone else goes through cache.h.
 */
#ifndef BN_CACHE_INDEX_H
#define BN_CACHE_INDEX_H

#include "bouncer.h"
#include "cache_meta.h"
#include "list.h"
#include "slab.h"

#include <limits.h>

/* A piece of an entry's copy in memory: slab chunks are at most half a page. */
typedef struct hot_chunk_s {
    struct hot_chunk_s *next;
    uint32_t len;
    char data[];
} hot_chunk_t;

#define HOT_CHUNK_DATA (BN_SLAB_PAGE / 2 - offsetof(hot_chunk_t, data))

/* Each entry is on two lists, most recently used first: every entry on
 * LRU (evicted from its tail), those with a copy in memory also on HOT. */
enum { LRU, HOT, NLISTS };

typedef struct entry_s {
    bn_cache_meta_t m;
    int64_t last_used; /* wall-clock seconds */
    struct entry_s *hnext;
    bn_list_t link[NLISTS];

    /* The memory tier: the file's header lines and body, when small. */
    hot_chunk_t *hot;
    uint32_t hot_len, hot_lines; /* bytes in all, of them header lines */
    size_t hot_cost;             /* slab bytes the copy takes */
} entry_t;

struct bn_cache_zone_s {
    bn_slab_t *slab;
    char name[64];
    char path[PATH_MAX - 96]; /* room for /ab/ and a 32-digit name */
    uint64_t max_size;
    int64_t inactive; /* seconds */
    size_t nbuckets;
    size_t nentries;
    uint64_t bytes;
    /* The loader read the files into index generation loaded - 1 (0: not
     * yet); a rebuild after a crash starts a new generation. */
    atomic_uint generation, loaded;
    struct {
        unsigned char key[BN_CACHE_KEY_LEN];
        uint64_t until; /* monotonic msec; 0: free */
        bool waited;    /* a request found it taken: the unlock wakes the waiters */
        uint64_t owner; /* whose claim it is: bn_cache_lock()'s token */
    } locks[256];       /* keys being filled (cache.lock) */
    uint64_t lock_serial; /* the last token handed out */
    /* An eventfd the unlock of a key someone waits for is written to (never
     * read: each write is an edge for every worker's epoll). */
    int wake_fd;
    bn_list_t list[NLISTS]; /* sentinels: the zone is mapped at one address in every process */
    _Atomic uint64_t write_failures;      /* bodies a full or failing disk cut */
    _Atomic uint64_t evictions;           /* entries dropped for room or for disuse */
    _Atomic int64_t write_failure_logged; /* wall-clock second of the last message */
    /* The memory tier's bounds (set by the master, read under the lock). */
    size_t hot_max_object, hot_memory, hot_bytes;
    entry_t *buckets[]; /* in the slab's reserved area, like all of this */
};

/* The least recently used entry of list l, or NULL. */
static inline entry_t *
bn_cache_index_tail(struct bn_cache_zone_s *z, int l)
{
    bn_list_t *k = bn_list_tail(&z->list[l]);

    /* k is link[l] of its entry: step back to link[0] to find the entry. */
    return k != NULL ? bn_list_data(k - l, entry_t, link) : NULL;
}

/*
 * Takes the zone's lock (bn_slab_unlock(z->slab) gives it back), first
 * rebuilding the index empty if its last holder died holding it.
 */
void bn_cache_index_lock(struct bn_cache_zone_s *z);

/* Under the lock: unlinks e everywhere and frees it; its file goes too
 * unless keep_file. */
void bn_cache_index_drop(struct bn_cache_zone_s *z, entry_t *e, bool keep_file);

#endif
