/*
 * limit_zone.c: rate and conn zones (limit_zone.h): a hash table of keys
 * in a slab zone, with an LRU list.  Keys up to KEY_INLINE bytes are kept
 * as they are and compared whole; longer ones by their SHA-256, so no two
 * keys can share an entry by a collision an attacker could make.
 */
#include "limit_zone.h"
#include "gcra.h"
#include "list.h"
#include "slab.h"
#include "str.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#define KEY_INLINE 64

typedef struct {
    int16_t proc;
    uint16_t n;
} holder_t;

typedef struct entry_s {
    struct entry_s *hnext;
    bn_list_t lru;
    int64_t tat;        /* rate: the key's theoretical arrival time */
    uint32_t count;     /* conn: slots held */
    uint16_t nholders;  /* conn: by how many processes */
    uint16_t cap;
    holder_t *holders;
    bool hashed;        /* key is the SHA-256 of a longer one */
    uint8_t klen;
    unsigned char key[KEY_INLINE];
} entry_t;

struct bn_limit_zone_s {
    bn_slab_t *slab;
    char name[64];
    int kind;
    size_t memory;
    uint64_t seed; /* of the bucket hash: chains an attacker cannot aim at */
    size_t nbuckets;
    bn_list_t lru; /* most recently used first */
    entry_t *buckets[];
};

/* A key as the zone keeps it. */
typedef struct {
    unsigned char bytes[KEY_INLINE];
    uint8_t len;
    bool hashed;
} zkey_t;

static void
make_key(const char *key, size_t len, zkey_t *k)
{
    unsigned int n = 32;

    if (len <= KEY_INLINE) {
        memcpy(k->bytes, key, len);
        k->len = (uint8_t) len;
        k->hashed = false;
        return;
    }
    EVP_Digest(key, len, k->bytes, &n, EVP_sha256(), NULL);
    k->len = 32;
    k->hashed = true;
}

bn_limit_zone_t *
bn_limit_zone_create(const char *name, int kind, size_t memory)
{
    size_t nbuckets = memory / 512 < 64 ? 64 : memory / 512;
    size_t reserve = sizeof(bn_limit_zone_t) + nbuckets * sizeof(entry_t *);
    bn_slab_t *slab;
    bn_limit_zone_t *z;

    slab = bn_slab_create(memory, reserve);
    if (slab == NULL) {
        return NULL;
    }
    z = bn_slab_data(slab);
    memset(z, 0, reserve);
    z->slab = slab;
    snprintf(z->name, sizeof(z->name), "%s", name);
    z->kind = kind;
    z->memory = memory;
    z->nbuckets = nbuckets;
    bn_list_init(&z->lru);
    if (RAND_bytes((unsigned char *) &z->seed, sizeof(z->seed)) != 1) {
        bn_slab_destroy(slab);
        errno = EIO;
        return NULL;
    }
    return z;
}

void
bn_limit_zone_destroy(bn_limit_zone_t *z)
{
    bn_slab_destroy(z->slab); /* z lives in it */
}

const char *
bn_limit_zone_name(const bn_limit_zone_t *z)
{
    return z->name;
}

int
bn_limit_zone_kind(const bn_limit_zone_t *z)
{
    return z->kind;
}

size_t
bn_limit_zone_memory(const bn_limit_zone_t *z)
{
    return z->memory;
}

/* Takes the lock; a holder that died halfway leaves the zone empty. */
static void
lock(bn_limit_zone_t *z)
{
    if (bn_slab_lock(z->slab)) {
        memset(z->buckets, 0, z->nbuckets * sizeof(entry_t *));
        bn_list_init(&z->lru);
    }
}

static entry_t **
bucket(bn_limit_zone_t *z, const zkey_t *k)
{
    uint64_t h = bn_fnv1a(z->seed ^ BN_FNV1A_START, k->bytes, k->len);

    h ^= h >> 29;
    return &z->buckets[h % z->nbuckets];
}

static entry_t **
find(bn_limit_zone_t *z, const zkey_t *k)
{
    entry_t **pp = bucket(z, k);

    while (*pp != NULL) {
        entry_t *e = *pp;
        if (e->klen == k->len && e->hashed == k->hashed && memcmp(e->key, k->bytes, k->len) == 0) {
            return pp;
        }
        pp = &e->hnext;
    }
    return pp;
}

static void
drop(bn_limit_zone_t *z, entry_t **pp)
{
    entry_t *e = *pp;

    *pp = e->hnext;
    bn_list_remove(&e->lru);
    if (e->holders != NULL) {
        bn_slab_free_locked(z->slab, e->holders);
    }
    bn_slab_free_locked(z->slab, e);
}

/* A new entry for k, at the head of the LRU; rate zones forget their least
 * recently used keys to make room.  NULL when there is none. */
static entry_t *
add(bn_limit_zone_t *z, const zkey_t *k)
{
    entry_t *e = bn_slab_alloc_locked(z->slab, sizeof(*e));

    for (int tries = 0; e == NULL && z->kind == BN_LIMIT_RATE && tries < 16; tries++) {
        bn_list_t *last = bn_list_tail(&z->lru);
        entry_t *old;
        if (last == NULL) {
            break;
        }
        old = bn_list_data(last, entry_t, lru);
        {
            zkey_t ok = { .len = old->klen, .hashed = old->hashed };
            memcpy(ok.bytes, old->key, old->klen);
            drop(z, find(z, &ok));
        }
        e = bn_slab_alloc_locked(z->slab, sizeof(*e));
    }
    if (e == NULL) {
        return NULL;
    }
    memset(e, 0, sizeof(*e));
    e->klen = k->len;
    e->hashed = k->hashed;
    memcpy(e->key, k->bytes, k->len);
    e->hnext = *bucket(z, k);
    *bucket(z, k) = e;
    bn_list_insert_head(&z->lru, &e->lru);
    return e;
}

/* Takes the lock and returns key's entry, made if new; NULL (locked still)
 * when there is no room for it. */
static entry_t *
locked_entry(bn_limit_zone_t *z, const char *key, size_t len, zkey_t *k)
{
    entry_t **pp;

    make_key(key, len, k);
    lock(z);
    pp = find(z, k);
    return *pp != NULL ? *pp : add(z, k);
}

int
bn_limit_rate(bn_limit_zone_t *z, const char *key, size_t len, int64_t now, int64_t interval,
              unsigned burst, int64_t *ahead, int64_t *retry)
{
    zkey_t k;
    entry_t *e = locked_entry(z, key, len, &k);
    int rc;

    if (e == NULL) {
        /* Nothing to count with (a zone smaller than one entry): let it by. */
        bn_slab_unlock(z->slab);
        *ahead = *retry = 0;
        return BN_OK;
    }
    bn_list_remove(&e->lru);
    bn_list_insert_head(&z->lru, &e->lru);
    rc = bn_gcra(&e->tat, now, interval, burst, ahead, retry);
    bn_slab_unlock(z->slab);
    return rc;
}

static holder_t *
holder(bn_limit_zone_t *z, entry_t *e, int proc, bool make)
{
    holder_t *h;

    for (uint16_t i = 0; i < e->nholders; i++) {
        if (e->holders[i].proc == proc) {
            return &e->holders[i];
        }
    }
    if (!make) {
        return NULL;
    }
    if (e->nholders == e->cap) {
        uint16_t cap = e->cap ? (uint16_t) (2 * e->cap) : 4;
        h = bn_slab_alloc_locked(z->slab, sizeof(holder_t) * cap);
        if (h == NULL) {
            return NULL;
        }
        if (e->holders != NULL) {
            memcpy(h, e->holders, sizeof(holder_t) * e->nholders);
            bn_slab_free_locked(z->slab, e->holders);
        }
        e->holders = h;
        e->cap = cap;
    }
    h = &e->holders[e->nholders++];
    h->proc = (int16_t) proc;
    h->n = 0;
    return h;
}

int
bn_limit_conn_take(bn_limit_zone_t *z, const char *key, size_t len, unsigned max, int proc,
                   bool *counted)
{
    zkey_t k;
    entry_t *e = locked_entry(z, key, len, &k);
    holder_t *h;

    *counted = false;
    if (e == NULL) {
        bn_slab_unlock(z->slab);
        return BN_OK;
    }
    if (e->count >= max) {
        bn_slab_unlock(z->slab);
        return BN_DECLINED;
    }
    h = holder(z, e, proc, true);
    if (h == NULL) {
        if (e->count == 0) {
            drop(z, find(z, &k));
        }
        bn_slab_unlock(z->slab);
        return BN_OK;
    }
    h->n++;
    e->count++;
    *counted = true;
    bn_slab_unlock(z->slab);
    return BN_OK;
}

/* Takes n of proc's slots off e; drops e when none is left. */
static void
give(bn_limit_zone_t *z, entry_t **pp, holder_t *h, unsigned n)
{
    entry_t *e = *pp;

    n = BN_MIN(n, h->n);
    h->n = (uint16_t) (h->n - n);
    e->count = e->count >= n ? e->count - n : 0;
    if (h->n == 0) {
        *h = e->holders[--e->nholders];
    }
    if (e->count == 0) {
        drop(z, pp);
    }
}

void
bn_limit_conn_give(bn_limit_zone_t *z, const char *key, size_t len, int proc)
{
    zkey_t k;
    entry_t **pp;
    holder_t *h;

    make_key(key, len, &k);
    lock(z);
    pp = find(z, &k);
    if (*pp != NULL && (h = holder(z, *pp, proc, false)) != NULL) {
        give(z, pp, h, 1);
    }
    bn_slab_unlock(z->slab);
}

void
bn_limit_conn_release_proc(bn_limit_zone_t *z, int proc)
{
    lock(z);
    for (size_t i = 0; i < z->nbuckets; i++) {
        entry_t **pp = &z->buckets[i];
        while (*pp != NULL) {
            entry_t *e = *pp;
            holder_t *h = holder(z, e, proc, false);
            if (h != NULL) {
                give(z, pp, h, h->n);
                if (*pp != e) {
                    continue; /* dropped: *pp is the next one */
                }
            }
            pp = &e->hnext;
        }
    }
    bn_slab_unlock(z->slab);
}
