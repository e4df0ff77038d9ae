/*
 * auth_cache.c: the shared answers of forward auth (auth_cache.h): a hash
 * table in a slab zone (slab.h).  An entry is one chunk: key, deadline,
 * the answer's bytes.  Expired entries go when met; when memory runs short
 * a put first frees what expired in a few buckets, and gives up rather
 * than evict a live answer (the service is simply asked again).
 */
#include "auth_cache.h"
#include "slab.h"

#define BUCKETS 4096

typedef struct entry_s {
    struct entry_s *next;
    unsigned char key[BN_AUTH_CACHE_KEY];
    uint64_t until;
    uint32_t len;
    char data[];
} entry_t;

struct bn_auth_cache_s {
    bn_slab_t *slab;
    unsigned sweep; /* the next bucket a short put sweeps */
    entry_t *buckets[BUCKETS];
};

bn_auth_cache_t *bn_auth_cache;

int
bn_auth_cache_create(size_t memory)
{
    bn_slab_t *slab = bn_slab_create(memory, sizeof(bn_auth_cache_t));

    if (slab == NULL) {
        return BN_ERROR;
    }
    bn_auth_cache = bn_slab_data(slab);
    memset(bn_auth_cache, 0, sizeof(*bn_auth_cache));
    bn_auth_cache->slab = slab;
    return BN_OK;
}

static entry_t **
bucket(bn_auth_cache_t *c, const unsigned char *key)
{
    uint32_t h;

    memcpy(&h, key, sizeof(h)); /* the key is a keyed hash already */
    return &c->buckets[h % BUCKETS];
}

/* Takes the lock; a holder that died halfway leaves an empty table. */
static void
lock(bn_auth_cache_t *c)
{
    if (bn_slab_lock(c->slab)) {
        memset(c->buckets, 0, sizeof(c->buckets));
    }
}

/* Frees the expired entries of the chain at pp. */
static void
prune(bn_auth_cache_t *c, entry_t **pp, uint64_t now)
{
    while (*pp != NULL) {
        entry_t *e = *pp;
        if (e->until <= now) {
            *pp = e->next;
            bn_slab_free_locked(c->slab, e);
        } else {
            pp = &e->next;
        }
    }
}

size_t
bn_auth_cache_get(bn_auth_cache_t *c, const unsigned char *key, uint64_t now, char *buf,
                  size_t cap)
{
    entry_t **pp;
    size_t n = 0;

    lock(c);
    pp = bucket(c, key);
    prune(c, pp, now);
    for (entry_t *e = *pp; e != NULL; e = e->next) {
        if (memcmp(e->key, key, BN_AUTH_CACHE_KEY) == 0 && e->len <= cap) {
            memcpy(buf, e->data, e->len);
            n = e->len;
            break;
        }
    }
    bn_slab_unlock(c->slab);
    return n;
}

void
bn_auth_cache_put(bn_auth_cache_t *c, const unsigned char *key, uint64_t now, uint64_t until,
                  const char *data, size_t len)
{
    entry_t **pp, *e;

    if (len > BN_AUTH_CACHE_MAX || until <= now) {
        return;
    }
    lock(c);
    pp = bucket(c, key);
    prune(c, pp, now);
    for (entry_t **q = pp; *q != NULL; q = &(*q)->next) {
        if (memcmp((*q)->key, key, BN_AUTH_CACHE_KEY) == 0) {
            e = *q;
            *q = e->next;
            bn_slab_free_locked(c->slab, e);
            break;
        }
    }
    e = bn_slab_alloc_locked(c->slab, sizeof(*e) + len);
    for (unsigned i = 0; e == NULL && i < 64; i++) {
        prune(c, &c->buckets[c->sweep], now);
        c->sweep = (c->sweep + 1) % BUCKETS;
        e = bn_slab_alloc_locked(c->slab, sizeof(*e) + len);
    }
    if (e != NULL) {
        memcpy(e->key, key, BN_AUTH_CACHE_KEY);
        e->until = until;
        e->len = (uint32_t) len;
        memcpy(e->data, data, len);
        e->next = *pp;
        *pp = e;
    }
    bn_slab_unlock(c->slab);
}
