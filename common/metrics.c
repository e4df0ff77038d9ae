/*
 * metrics.c: the shared table of counters (metrics.h).  The master writes
 * the series list (at start and at each reload, while old workers may be
 * reading it: an entry is filled before nseries counts it); every process
 * adds to its own row of values.
 */
#include "metrics.h"

#include <stdatomic.h>
#include <sys/mman.h>

struct bn_metrics_s {
    uint32_t nseries; /* read with acquire: entries below it are whole */
    uint32_t nvalues;
    /* Rows some process has counted in: readers sum only these, and never
     * touch (so never make the kernel allocate) the pages of the others. */
    _Atomic uint64_t used[(BN_METRICS_ROWS + 63) / 64];
    bn_metric_series_t series[BN_METRICS_SERIES];
    bn_metric_master_t master;
    bn_metric_proc_t procs[BN_PEERS_PROCS];
    /* Rows after the list, each on cache lines of its own. */
    _Alignas(64) uint64_t rows[BN_METRICS_ROWS][BN_METRICS_VALUES];
};

uint64_t *bn_metrics_row;

/* How many values a series of kind holds besides its histogram. */
static uint32_t
values_of(bn_metric_kind_t kind)
{
    switch (kind) {
    case BN_MK_GLOBAL:
        return BN_MV_GLOBAL_N;
    case BN_MK_ROUTE:
        return BN_MV_ROUTE_HIST;
    case BN_MK_SERVER:
        return BN_MV_SERVER_N;
    case BN_MK_PEER:
        return BN_MV_PEER_HIST;
    case BN_MK_CACHE:
        return BN_MV_CACHE_N;
    case BN_MK_AUTH:
        return BN_MV_AUTH_N;
    case BN_MK_RATE:
    case BN_MK_CONN:
        return BN_MV_RATE_N;
    case BN_MK_NKINDS:
        break;
    }
    return 0;
}

/* The gauges of a series of kind: values [0, n). */
static uint32_t
gauges_of(bn_metric_kind_t kind)
{
    return kind == BN_MK_GLOBAL ? BN_MV_GLOBAL_GAUGES : kind == BN_MK_PEER ? 1 : 0;
}

bn_metrics_t *
bn_metrics_create(void)
{
    /* Pages are touched only as values are: most of the rows never are. */
    void *m = mmap(NULL, sizeof(bn_metrics_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    return m == MAP_FAILED ? NULL : m;
}

static bool
same_labels(const bn_metric_series_t *s, bn_metric_kind_t kind, const char *l1, const char *l2)
{
    return s->kind == kind && !s->retired && strncmp(s->label[0], l1, BN_METRICS_LABEL - 1) == 0
           && strncmp(s->label[1], l2, BN_METRICS_LABEL - 1) == 0;
}

int32_t
bn_metrics_series(bn_metrics_t *m, bn_metric_kind_t kind, const char *l1, const char *l2,
                  const uint64_t *bounds_msec, unsigned nbuckets)
{
    uint32_t n = m->nseries, nvalues;
    bn_metric_series_t *s;

    l1 = l1 != NULL ? l1 : "";
    l2 = l2 != NULL ? l2 : "";
    nbuckets = BN_MIN(nbuckets, (unsigned) BN_METRICS_MAX_BUCKETS);
    for (uint32_t i = 0; i < n; i++) {
        s = &m->series[i];
        if (!same_labels(s, kind, l1, l2)) {
            continue;
        }
        bool same = s->nbuckets == nbuckets;
        for (unsigned b = 0; same && b < nbuckets; b++) {
            same = s->bounds[b] == bounds_msec[b];
        }
        if (same) {
            return (int32_t) s->base;
        }
        /* Other buckets: the old series would clash with the new one under
         * the same labels; it is no longer shown. */
        s->retired = true;
        break;
    }
    nvalues = values_of(kind) + (nbuckets > 0 ? nbuckets + 2 : 0);
    if (n == BN_METRICS_SERIES || m->nvalues + nvalues > BN_METRICS_VALUES) {
        return -1;
    }
    s = &m->series[n];
    memset(s, 0, sizeof(*s));
    s->kind = (uint8_t) kind;
    s->nbuckets = (uint8_t) nbuckets;
    s->base = m->nvalues;
    s->nvalues = nvalues;
    snprintf(s->label[0], sizeof(s->label[0]), "%s", l1);
    snprintf(s->label[1], sizeof(s->label[1]), "%s", l2);
    for (unsigned b = 0; b < nbuckets; b++) {
        s->bounds[b] = (uint32_t) BN_MIN(bounds_msec[b], (uint64_t) UINT32_MAX);
    }
    m->nvalues += nvalues;
    __atomic_store_n(&m->nseries, n + 1, __ATOMIC_RELEASE);
    return (int32_t) s->base;
}

void
bn_metrics_use_row(bn_metrics_t *m, int row)
{
    bn_metrics_row = NULL;
    if (m != NULL && row >= 0 && row < BN_METRICS_ROWS) {
        atomic_fetch_or(&m->used[row / 64], 1ULL << (row % 64));
        bn_metrics_row = m->rows[row];
    }
}

void
bn_metrics_release_row(bn_metrics_t *m, int row)
{
    uint32_t n = __atomic_load_n(&m->nseries, __ATOMIC_ACQUIRE);

    if (row < 0 || row >= BN_METRICS_ROWS
        || !(atomic_load(&m->used[row / 64]) & (1ULL << (row % 64)))) {
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        const bn_metric_series_t *s = &m->series[i];
        for (uint32_t k = 0; k < gauges_of((bn_metric_kind_t) s->kind); k++) {
            __atomic_store_n(&m->rows[row][s->base + k], 0, __ATOMIC_RELAXED);
        }
    }
}

const bn_metric_series_t *
bn_metrics_list(const bn_metrics_t *m, size_t *n)
{
    *n = __atomic_load_n(&m->nseries, __ATOMIC_ACQUIRE);
    return m->series;
}

uint64_t
bn_metrics_read(const bn_metrics_t *m, uint32_t index)
{
    uint64_t sum = 0;

    if (index >= BN_METRICS_VALUES) {
        return 0;
    }
    for (size_t w = 0; w < BN_NELEMS(m->used); w++) {
        uint64_t bits = atomic_load_explicit(&m->used[w], memory_order_relaxed);
        while (bits != 0) {
            unsigned r = (unsigned) (w * 64) + (unsigned) __builtin_ctzll(bits);
            bits &= bits - 1;
            sum += __atomic_load_n(&m->rows[r][index], __ATOMIC_RELAXED);
        }
    }
    return sum;
}

bn_metric_master_t *
bn_metrics_master(bn_metrics_t *m)
{
    return &m->master;
}

bn_metric_proc_t *
bn_metrics_proc(bn_metrics_t *m, int index)
{
    return index >= 0 && index < BN_PEERS_PROCS ? &m->procs[index] : NULL;
}
