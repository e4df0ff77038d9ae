/*
 * cache.c: the shared index of a cache zone (see cache.h), as workers use
 * it: lookups, inserts, the memory tier and the fill locks; and the master,
 * which makes the zones.  Its layout is in cache_index.h, which the
 * helper's loader and manager (master/helper_cache.c) share.
 */
#include "cache.h"
#include "cache_index.h"
#include "log.h"
#include "slab.h"
#include "testhook.h"

#include <stddef.h>
#include <limits.h>
#include <openssl/evp.h>
#include <sys/eventfd.h>

/* The stored files' format: BNC1 had no age or flags. */
#define CACHE_FORMAT "BNC2"

int
bn_cache_meta_write(int fd, const bn_cache_meta_t *m, size_t lines_len)
{
    char meta[BN_CACHE_META_LEN + 1];
    size_t n;

    n = (size_t) snprintf(meta, sizeof(meta), CACHE_FORMAT " %lld %lld %u %zu %u %u",
                          (long long) m->stored, (long long) m->expires, (unsigned) m->status,
                          lines_len, (unsigned) m->age, (unsigned) m->flags);
    memset(meta + n, ' ', BN_CACHE_META_LEN - 1 - n);
    meta[BN_CACHE_META_LEN - 1] = '\n';
    return pwrite(fd, meta, BN_CACHE_META_LEN, 0) == BN_CACHE_META_LEN ? BN_OK : BN_ERROR;
}

int
bn_cache_meta_read(int fd, bn_cache_meta_t *m, size_t *lines_len)
{
    char meta[BN_CACHE_META_LEN + 1];
    long long stored, expires;
    unsigned status, age, flags;

    if (pread(fd, meta, BN_CACHE_META_LEN, 0) != BN_CACHE_META_LEN) {
        return BN_ERROR;
    }
    meta[BN_CACHE_META_LEN] = '\0';
    if (strncmp(meta, "BNC", 3) == 0 && strncmp(meta, CACHE_FORMAT " ", 5) != 0) {
        return BN_DECLINED; /* another format: never read as this one */
    }
    if (sscanf(meta, CACHE_FORMAT " %lld %lld %u %zu %u %u", &stored, &expires, &status,
               lines_len, &age, &flags)
            != 6
        || status > 999 || flags > 0xff) {
        return BN_ERROR;
    }
    m->stored = stored;
    m->expires = expires;
    m->status = (uint16_t) status;
    m->age = age;
    m->flags = (uint8_t) flags;
    return BN_OK;
}

void
bn_cache_key(const char *key, size_t len, unsigned char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;

    EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL);
    memcpy(out, md, BN_CACHE_KEY_LEN);
}

bn_cache_zone_t *
bn_cache_zone_create(const char *name, const char *path, size_t memory)
{
    /* One bucket per 256 bytes of zone: chains stay short at any fill. */
    size_t nbuckets = BN_MAX(memory / 256, 64);
    size_t reserve = sizeof(bn_cache_zone_t) + nbuckets * sizeof(entry_t *);
    bn_slab_t *slab;
    bn_cache_zone_t *z;

    if (reserve >= memory / 2) {
        errno = EINVAL;
        return NULL;
    }
    slab = bn_slab_create(memory, reserve);
    if (slab == NULL) {
        return NULL;
    }
    z = bn_slab_data(slab);
    memset(z, 0, reserve);
    for (int l = 0; l < NLISTS; l++) {
        bn_list_init(&z->list[l]);
    }
    z->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (z->wake_fd == -1) {
        int e = errno;
        bn_slab_destroy(slab);
        errno = e;
        return NULL;
    }
    z->slab = slab;
    snprintf(z->name, sizeof(z->name), "%s", name);
    snprintf(z->path, sizeof(z->path), "%s", path);
    z->nbuckets = nbuckets;
    return z;
}

void
bn_cache_zone_destroy(bn_cache_zone_t *z)
{
    close(z->wake_fd);
    bn_slab_destroy(z->slab);
}

int
bn_cache_zone_wake_fd(const bn_cache_zone_t *z)
{
    return z->wake_fd;
}

const char *
bn_cache_zone_name(const bn_cache_zone_t *z)
{
    return z->name;
}

const char *
bn_cache_zone_path(const bn_cache_zone_t *z)
{
    return z->path;
}

void
bn_cache_file(const bn_cache_zone_t *z, const unsigned char *key, char *buf, size_t len)
{
    char hex[BN_CACHE_KEY_LEN * 2 + 1];

    for (int i = 0; i < BN_CACHE_KEY_LEN; i++) {
        snprintf(hex + i * 2, 3, "%02x", key[i]);
    }
    /* Two hex digits of directory keep any one folder from growing huge. */
    snprintf(buf, len, "%s/%.2s/%s", z->path, hex, hex);
}

static entry_t **
bucket(bn_cache_zone_t *z, const unsigned char *key)
{
    uint64_t h;

    memcpy(&h, key, sizeof(h)); /* the key is already a cryptographic hash */
    return &z->buckets[h % z->nbuckets];
}

static entry_t *
find(bn_cache_zone_t *z, const unsigned char *key)
{
    for (entry_t *e = *bucket(z, key); e != NULL; e = e->hnext) {
        if (memcmp(e->m.key, key, BN_CACHE_KEY_LEN) == 0) {
            return e;
        }
    }
    return NULL;
}

/*
 * The zone's lock.  When its last holder died holding it, the index may be
 * torn anywhere (a chain or a list half relinked, counts half updated):
 * checking each pointer would still trust what a dead process wrote, so
 * the index starts over empty (bn_slab_lock() freed every chunk).  What
 * matters survives on disk: the files stay, and the helper's loader reads
 * them back into the new generation, as after a restart.
 */
void
bn_cache_index_lock(bn_cache_zone_t *z)
{
    if (!bn_slab_lock(z->slab)) {
        return;
    }
    memset(z->buckets, 0, z->nbuckets * sizeof(entry_t *));
    for (int l = 0; l < NLISTS; l++) {
        bn_list_init(&z->list[l]);
    }
    memset(z->locks, 0, sizeof(z->locks));
    z->nentries = 0;
    z->bytes = 0;
    z->hot_bytes = 0;
    atomic_fetch_add(&z->generation, 1);
    bn_log_error(BN_LOG_ERR, NULL, 0,
                 "cache zone \"%s\": a process died while changing its index; rebuilt it "
                 "empty, its files are read back from disk",
                 z->name);
}

/* ---- the memory tier ---------------------------------------------------------------- */

/* Frees e's copy in memory; the entry and its file stay. */
static void
hot_drop(bn_cache_zone_t *z, entry_t *e)
{
    hot_chunk_t *c, *next;

    if (e->hot == NULL) {
        return;
    }
    for (c = e->hot; c != NULL; c = next) {
        next = c->next;
        bn_slab_free_locked(z->slab, c);
    }
    e->hot = NULL;
    z->hot_bytes -= e->hot_cost;
    e->hot_cost = 0;
    bn_list_remove(&e->link[HOT]);
}

/* The slab's chunk for n bytes: its power-of-two class. */
static size_t
slab_cost(size_t n)
{
    size_t c = 16;

    while (c < n) {
        c <<= 1;
    }
    return c;
}

void
bn_cache_zone_limits(bn_cache_zone_t *z, uint64_t max_size, uint64_t inactive_msec,
                     size_t hot_max_object, size_t hot_memory)
{
    bn_cache_index_lock(z);
    z->max_size = max_size;
    z->inactive = (int64_t) (inactive_msec / 1000);
    z->hot_max_object = hot_max_object;
    z->hot_memory = hot_memory;
    while (bn_cache_index_tail(z, HOT) != NULL && z->hot_bytes > z->hot_memory) {
        hot_drop(z, bn_cache_index_tail(z, HOT));
    }
    bn_slab_unlock(z->slab);
}

size_t
bn_cache_hot_max(bn_cache_zone_t *z)
{
    return z->hot_memory > 0 ? z->hot_max_object : 0;
}

bool
bn_cache_hot_get(bn_cache_zone_t *z, const bn_cache_meta_t *m, char *buf, size_t len, size_t *got,
                 size_t *lines_len)
{
    entry_t *e;
    bool ok = false;

    bn_cache_index_lock(z);
    e = find(z, m->key);
    /* The same version the lookup saw: a refresh or a new response in
     * between has its own copy, or none yet. */
    if (e != NULL && e->hot != NULL && e->m.stored == m->stored && e->m.size == m->size
        && e->hot_len <= len) {
        size_t off = 0;
        for (hot_chunk_t *c = e->hot; c != NULL; c = c->next) {
            memcpy(buf + off, c->data, c->len);
            off += c->len;
        }
        *got = off;
        *lines_len = e->hot_lines;
        bn_list_remove(&e->link[HOT]);
        bn_list_insert_head(&z->list[HOT], &e->link[HOT]);
        ok = true;
    }
    bn_slab_unlock(z->slab);
    return ok;
}

void
bn_cache_hot_put(bn_cache_zone_t *z, const bn_cache_meta_t *m, const char *data, size_t len,
                 size_t lines_len)
{
    hot_chunk_t *first = NULL, **tail = &first;
    size_t cost = 0;
    entry_t *e;

    bn_cache_index_lock(z);
    e = find(z, m->key);
    if (e == NULL || e->hot != NULL || e->m.stored != m->stored || e->m.size != m->size
        || len > z->hot_max_object || z->hot_memory == 0) {
        bn_slab_unlock(z->slab);
        return;
    }
    for (size_t off = 0; off < len || first == NULL;) {
        size_t n = BN_MIN(len - off, HOT_CHUNK_DATA), want = offsetof(hot_chunk_t, data) + n;
        hot_chunk_t *c = NULL;
        /* Within the tier's share of the zone and the room the slab has;
         * the copies used least recently make room (e has none yet), never
         * an entry of the index. */
        while ((z->hot_bytes + cost + slab_cost(want) > z->hot_memory
                || (c = bn_slab_alloc_locked(z->slab, want)) == NULL)
               && bn_cache_index_tail(z, HOT) != NULL) {
            hot_drop(z, bn_cache_index_tail(z, HOT));
        }
        if (c == NULL) {
            for (hot_chunk_t *f = first, *next; f != NULL; f = next) {
                next = f->next;
                bn_slab_free_locked(z->slab, f);
            }
            bn_slab_unlock(z->slab);
            return;
        }
        c->next = NULL;
        c->len = (uint32_t) n;
        memcpy(c->data, data + off, n);
        *tail = c;
        tail = &c->next;
        cost += slab_cost(want);
        off += n;
    }
    e->hot = first;
    e->hot_len = (uint32_t) len;
    e->hot_lines = (uint32_t) lines_len;
    e->hot_cost = cost;
    z->hot_bytes += cost;
    bn_list_insert_head(&z->list[HOT], &e->link[HOT]);
    bn_slab_unlock(z->slab);
}

/* ---- entries ------------------------------------------------------------------------ */

/* Unlinks e everywhere and frees it; its file goes too unless keep_file. */
void
bn_cache_index_drop(bn_cache_zone_t *z, entry_t *e, bool keep_file)
{
    entry_t **pp = bucket(z, e->m.key);
    char file[PATH_MAX];

    while (*pp != e) {
        pp = &(*pp)->hnext;
    }
    *pp = e->hnext;
    BN_CRASH_POINT("cache-drop"); /* out of its chain, still on the lists */
    hot_drop(z, e);
    bn_list_remove(&e->link[LRU]);
    z->nentries--;
    z->bytes -= e->m.size;
    if (!keep_file) {
        /* Under the lock on purpose: a new file of the same key renamed in
         * meanwhile would otherwise be the one unlinked. */
        bn_cache_file(z, e->m.key, file, sizeof(file));
        unlink(file);
    }
    bn_slab_free_locked(z->slab, e);
}

void
bn_cache_write_failed(bn_cache_zone_t *z, const bn_log_t *log, int err, const char *file)
{
    uint64_t n = atomic_fetch_add(&z->write_failures, 1) + 1;
    int64_t now = (int64_t) time(NULL), last = atomic_load(&z->write_failure_logged);

    /* A full disk fails every fill in every worker at once: one line a
     * second per zone says it, the count says how often. */
    if (last < now && atomic_compare_exchange_strong(&z->write_failure_logged, &last, now)) {
        bn_log_error(BN_LOG_ERR, log, err,
                     "cache zone \"%s\": cannot write \"%s\", the response is not stored "
                     "(%" PRIu64 " failed writes so far, logged at most once a second)",
                     z->name, file, n);
    }
}

uint64_t
bn_cache_evictions(bn_cache_zone_t *z)
{
    return atomic_load_explicit(&z->evictions, memory_order_relaxed);
}

uint64_t
bn_cache_write_failures(bn_cache_zone_t *z)
{
    return atomic_load(&z->write_failures);
}

bool
bn_cache_lookup(bn_cache_zone_t *z, const unsigned char *key, bn_cache_meta_t *m)
{
    entry_t *e;

    bn_cache_index_lock(z);
    e = find(z, key);
    if (e != NULL) {
        *m = e->m;
        e->last_used = (int64_t) time(NULL);
        bn_list_remove(&e->link[LRU]);
        bn_list_insert_head(&z->list[LRU], &e->link[LRU]);
    }
    bn_slab_unlock(z->slab);
    return e != NULL;
}

void
bn_cache_insert(bn_cache_zone_t *z, const bn_cache_meta_t *m)
{
    int64_t now = (int64_t) time(NULL);
    entry_t *e;

    bn_cache_index_lock(z);
    e = find(z, m->key);
    if (e != NULL) {
        /* The new file already replaced the old one (rename). */
        bn_cache_index_drop(z, e, true);
    }
    /* Unused too long: gone, oldest first, whatever the room. */
    while (bn_cache_index_tail(z, LRU) != NULL && z->inactive > 0
           && bn_cache_index_tail(z, LRU)->last_used + z->inactive < now) {
        atomic_fetch_add_explicit(&z->evictions, 1, memory_order_relaxed);
        bn_cache_index_drop(z, bn_cache_index_tail(z, LRU), false);
    }
    while ((e = bn_slab_alloc_locked(z->slab, sizeof(entry_t))) == NULL
           && bn_cache_index_tail(z, LRU) != NULL) {
        /* The index is full: copies in memory go first, then the least
         * recently used entries. */
        if (bn_cache_index_tail(z, HOT) != NULL) {
            hot_drop(z, bn_cache_index_tail(z, HOT));
        } else {
            atomic_fetch_add_explicit(&z->evictions, 1, memory_order_relaxed);
            bn_cache_index_drop(z, bn_cache_index_tail(z, LRU), false);
        }
    }
    if (e == NULL) {
        char file[PATH_MAX];
        bn_cache_file(z, m->key, file, sizeof(file));
        unlink(file);
        bn_slab_unlock(z->slab);
        return;
    }
    memset(e, 0, sizeof(*e));
    e->m = *m;
    e->last_used = now;
    e->hnext = *bucket(z, m->key);
    *bucket(z, m->key) = e;
    bn_list_insert_head(&z->list[LRU], &e->link[LRU]);
    z->nentries++;
    z->bytes += m->size;
    while (z->max_size > 0 && z->bytes > z->max_size && bn_cache_index_tail(z, LRU) != NULL) {
        /* Over the disk bound: least recently used out. */
        atomic_fetch_add_explicit(&z->evictions, 1, memory_order_relaxed);
        bn_cache_index_drop(z, bn_cache_index_tail(z, LRU), false);
    }
    bn_slab_unlock(z->slab);
}

bool
bn_cache_remove(bn_cache_zone_t *z, const unsigned char *key)
{
    entry_t *e;

    bn_cache_index_lock(z);
    e = find(z, key);
    if (e != NULL) {
        bn_cache_index_drop(z, e, false);
    }
    bn_slab_unlock(z->slab);
    return e != NULL;
}

bool
bn_cache_lock(bn_cache_zone_t *z, const unsigned char *key, uint64_t now_msec, uint64_t hold_msec,
              uint64_t *token)
{
    size_t free_slot = BN_NELEMS(z->locks);
    bool mine = true;

    bn_cache_index_lock(z);
    for (size_t i = 0; i < BN_NELEMS(z->locks); i++) {
        if (z->locks[i].until > now_msec && memcmp(z->locks[i].key, key, BN_CACHE_KEY_LEN) == 0) {
            z->locks[i].waited = true;
            mine = false;
            break;
        }
        if (z->locks[i].until <= now_msec && free_slot == BN_NELEMS(z->locks)) {
            free_slot = i;
        }
    }
    if (mine && free_slot < BN_NELEMS(z->locks)) {
        memcpy(z->locks[free_slot].key, key, BN_CACHE_KEY_LEN);
        z->locks[free_slot].until = now_msec + hold_msec;
        z->locks[free_slot].waited = false;
        z->locks[free_slot].owner = *token = ++z->lock_serial;
    } else if (mine) {
        *token = 0; /* no slot: nothing to give up */
    }
    /* All 256 taken: this key fills without a lock rather than wait. */
    bn_slab_unlock(z->slab);
    return mine;
}

bool
bn_cache_unlock(bn_cache_zone_t *z, const unsigned char *key, uint64_t token)
{
    bool waited = false, found = false;

    bn_cache_index_lock(z);
    for (size_t i = 0; i < BN_NELEMS(z->locks); i++) {
        if (z->locks[i].until != 0 && z->locks[i].owner == token
            && memcmp(z->locks[i].key, key, BN_CACHE_KEY_LEN) == 0) {
            z->locks[i].until = 0;
            waited |= z->locks[i].waited;
            found = true;
        }
    }
    bn_slab_unlock(z->slab);
    /* Not found: the slot was taken over after lock_timeout, or a crash
     * cleared them all; who waited is not known, so all are woken. */
    return waited || !found;
}

void
bn_cache_usage(bn_cache_zone_t *z, size_t *entries, uint64_t *bytes)
{
    bn_cache_index_lock(z);
    *entries = z->nentries;
    *bytes = z->bytes;
    bn_slab_unlock(z->slab);
}
