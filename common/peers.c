/*
 * peers.c: the shared upstream state table (see peers.h).
 */
#include "peers.h"
#include "str.h"
#include "testhook.h"

#include <sys/mman.h>

static bn_peer_state_t *table;
static atomic_uint (*held)[BN_PEERS_MAX]; /* [process][slot] */

int
bn_peers_create(void)
{
    void *p = mmap(NULL, sizeof(bn_peer_state_t) * BN_PEERS_MAX, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    /* 4 MiB of address space; only the pages of live processes are touched. */
    void *h = mmap(NULL, sizeof(atomic_uint) * BN_PEERS_MAX * BN_PEERS_PROCS,
                   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED || h == MAP_FAILED) {
        return BN_ERROR;
    }
    table = p;
    held = h;
    return BN_OK;
}

void
bn_peer_hold(bn_peer_state_t *st, int proc)
{
    if (proc >= 0 && proc < BN_PEERS_PROCS) {
        atomic_fetch_add_explicit(&held[proc][st - table], 1, memory_order_relaxed);
    }
}

void
bn_peer_unhold(bn_peer_state_t *st, int proc)
{
    if (proc >= 0 && proc < BN_PEERS_PROCS) {
        bn_atomic_dec(&held[proc][st - table]);
    }
}

void
bn_peers_release_proc(int proc)
{
    if (table == NULL || proc < 0 || proc >= BN_PEERS_PROCS) {
        return;
    }
    for (size_t i = 0; i < BN_PEERS_MAX; i++) {
        unsigned n = atomic_exchange_explicit(&held[proc][i], 0, memory_order_relaxed);
        atomic_uint *v = table[i].upstream ? &table[i].queued : &table[i].conns;
        while (n-- > 0) {
            bn_atomic_dec(v);
        }
    }
}

/* FNV-1a, 64 bits; never 0, which marks a free slot. */
static uint64_t
slot_key(const char *upstream, const char *address)
{
    static const unsigned char sep = 0xff; /* no byte of a name */
    uint64_t h = bn_fnv1a(BN_FNV1A_START, upstream, strlen(upstream));

    h = bn_fnv1a(h, &sep, 1);
    if (address != NULL) {
        h = bn_fnv1a(h, address, strlen(address));
    }
    return h ? h : 1;
}

static bn_peer_state_t *
find_slot(uint64_t key, const uint64_t *wanted, size_t nwanted)
{
    bn_peer_state_t *free_slot = NULL, *stale = NULL;

    for (size_t i = 0; i < BN_PEERS_MAX; i++) {
        uint64_t k = atomic_load(&table[i].key);
        if (k == key) {
            return &table[i];
        }
        if (k == 0 && free_slot == NULL) {
            free_slot = &table[i];
        }
        if (k != 0 && stale == NULL) {
            bool in_use = false;
            for (size_t w = 0; w < nwanted && !in_use; w++) {
                in_use = wanted[w] == k;
            }
            stale = in_use ? NULL : &table[i];
        }
    }
    if (free_slot == NULL) {
        /* Full: take one the new config does not name.  Workers still
         * draining with an old config may count on it a little longer;
         * bn_atomic_dec() keeps that from wrapping. */
        free_slot = stale;
    }
    if (free_slot != NULL) {
        memset(free_slot, 0, sizeof(*free_slot));
        for (size_t p = 0; p < BN_PEERS_PROCS; p++) {
            atomic_store_explicit(&held[p][free_slot - table], 0, memory_order_relaxed);
        }
        atomic_store(&free_slot->key, key);
    }
    return free_slot;
}

int
bn_peers_assign(bn_conf_t *conf, char *err, size_t errlen)
{
    uint64_t *wanted;
    size_t n = 0, total = 0;

    for (size_t i = 0; i < conf->nupstreams; i++) {
        total += conf->upstreams[i].npeers + 1;
    }
    if (total > BN_PEERS_MAX) {
        snprintf(err, errlen, "%zu upstream servers and upstreams: at most %d are supported", total,
                 BN_PEERS_MAX);
        return BN_ERROR;
    }
    wanted = malloc(sizeof(uint64_t) * (total + 1));
    if (wanted == NULL) {
        snprintf(err, errlen, "out of memory");
        return BN_ERROR;
    }
    for (size_t i = 0; i < conf->nupstreams; i++) {
        bn_conf_upstream_t *u = &conf->upstreams[i];
        wanted[n++] = slot_key(u->name, NULL);
        for (size_t k = 0; k < u->npeers; k++) {
            wanted[n++] = slot_key(u->name, u->peers[k].label);
        }
    }
    n = 0;
    for (size_t i = 0; i < conf->nupstreams; i++) {
        bn_conf_upstream_t *u = &conf->upstreams[i];
        u->state = find_slot(wanted[n++], wanted, total);
        if (u->state != NULL) {
            u->state->upstream = true;
        }
        for (size_t k = 0; k < u->npeers; k++) {
            u->peers[k].state = find_slot(wanted[n++], wanted, total);
        }
    }
    free(wanted);
    return BN_OK;
}

void
bn_peers_forget_checks(const bn_conf_t *conf)
{
    for (size_t i = 0; i < conf->nupstreams; i++) {
        for (size_t k = 0; k < conf->upstreams[i].npeers; k++) {
            const bn_conf_peer_t *p = &conf->upstreams[i].peers[k];
            if (p->state != NULL && !p->probed) {
                atomic_store(&p->state->checked_down, false);
                atomic_store(&p->state->check_fails, 0);
                atomic_store(&p->state->check_passes, 0);
            }
        }
    }
}

unsigned
bn_peer_addrs(const bn_conf_peer_t *p, bn_addr_t *out, unsigned max)
{
    bn_peer_state_t *st = p->state;
    unsigned seq, n, cur;

    if (p->resolve && st != NULL) {
        /* Retried only while the helper rewrites the set we read, which it
         * does only after pointing addr_cur at the other, whole one: the
         * next round reads that one. */
        do {
            cur = atomic_load_explicit(&st->addr_cur, memory_order_acquire) & 1;
            seq = atomic_load_explicit(&st->addr_set[cur].seq, memory_order_acquire);
            n = BN_MIN(st->addr_set[cur].n, max);
            memcpy(out, st->addr_set[cur].addrs, sizeof(bn_addr_t) * n);
            atomic_thread_fence(memory_order_acquire);
        } while ((seq & 1)
                 || seq != atomic_load_explicit(&st->addr_set[cur].seq, memory_order_relaxed));
        if (n > 0) {
            return n;
        }
    }
    n = BN_MIN(p->naddrs, max);
    memcpy(out, p->addrs, sizeof(bn_addr_t) * n);
    return n;
}

void
bn_peer_set_addrs(bn_conf_peer_t *p, const bn_addr_t *addrs, unsigned n)
{
    bn_peer_state_t *st = p->state;
    unsigned w = (atomic_load_explicit(&st->addr_cur, memory_order_relaxed) & 1) ^ 1;
    /* Odd from here, whatever a helper killed in this set left: the values
     * only grow, so a reader's before and after never match across it. */
    unsigned seq = atomic_load_explicit(&st->addr_set[w].seq, memory_order_relaxed) | 1;

    atomic_store_explicit(&st->addr_set[w].seq, seq, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    st->addr_set[w].n = BN_MIN(n, BN_PEER_MAX_ADDRS);
    BN_CRASH_POINT("peer-set-addrs");
    memcpy(st->addr_set[w].addrs, addrs, sizeof(bn_addr_t) * st->addr_set[w].n);
    atomic_store_explicit(&st->addr_set[w].seq, seq + 1, memory_order_release);
    atomic_store_explicit(&st->addr_cur, w, memory_order_release);
}

bool
bn_peer_has_addrs(const bn_conf_peer_t *p)
{
    bn_peer_state_t *st = p->state;
    unsigned cur;

    if (p->naddrs > 0) {
        return true;
    }
    cur = atomic_load_explicit(&st->addr_cur, memory_order_acquire) & 1;
    return atomic_load_explicit(&st->addr_set[cur].seq, memory_order_relaxed) != 0;
}

int
bn_peer_pick_addr(const bn_conf_peer_t *p, unsigned skip, bn_addr_t *out)
{
    bn_addr_t all[BN_PEER_MAX_ADDRS];
    unsigned n = bn_peer_addrs(p, all, BN_PEER_MAX_ADDRS), i;

    if (n == 0) {
        return -1;
    }
    i = n == 1 ? 0 : atomic_fetch_add_explicit(&p->state->next_addr, 1, memory_order_relaxed) % n;
    for (unsigned k = 0; k < n; k++) {
        unsigned j = (i + k) % n;
        if (!(skip & (1u << j))) {
            *out = all[j];
            return (int) j;
        }
    }
    return -1;
}

unsigned
bn_peer_naddrs(const bn_conf_peer_t *p)
{
    bn_addr_t all[BN_PEER_MAX_ADDRS];

    return bn_peer_addrs(p, all, BN_PEER_MAX_ADDRS);
}

void
bn_atomic_dec(atomic_uint *v)
{
    unsigned cur = atomic_load_explicit(v, memory_order_relaxed);

    while (cur > 0
           && !atomic_compare_exchange_weak_explicit(v, &cur, cur - 1, memory_order_relaxed,
                                                     memory_order_relaxed)) {
    }
}

bn_peer_health_t
bn_peer_health(const bn_conf_peer_t *p, uint64_t now_msec)
{
    bn_peer_state_t *st = p->state;
    uint64_t until = atomic_load_explicit(&st->down_until, memory_order_relaxed);

    /* probed: the last verdict of an old generation's helper, written as
     * this config stopped the checks, is not this config's. */
    if (p->probed && atomic_load_explicit(&st->checked_down, memory_order_relaxed)) {
        return BN_PEER_DOWN;
    }
    if (until == 0) {
        return BN_PEER_UP;
    }
    if (until > now_msec || atomic_load_explicit(&st->trial, memory_order_relaxed) > now_msec) {
        return BN_PEER_DOWN;
    }
    return BN_PEER_TRIAL;
}

const char *
bn_peer_health_name(const bn_conf_peer_t *p, uint64_t now_msec)
{
    static const char *const names[] = { "up", "down", "trial" };

    return p->down ? "disabled" : names[bn_peer_health(p, now_msec)];
}
