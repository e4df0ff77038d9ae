/*
 * metrics.h: the counters every process adds to and the status listener
 * reads, in one shared memory table the master maps once and keeps for its
 * life (across reloads and worker crashes, so no counter goes backwards).
 *
 * A series is one thing counted under one set of labels (a route, an
 * upstream server, a cache zone, ...): a run of values.  The master
 * registers the series a config needs before it forks the workers of that
 * config, by kind and labels, so a route named the same after a reload
 * finds its series again; a series is never removed.  Each process that
 * counts owns a row of values (its peers.h proc index; the master the last
 * row) and is the only writer of it, so adding is a load and a store, no
 * lock and no shared cache line; a reader sums the rows.  A gauge (open
 * connections) is counted up and down in the row of the process that holds
 * what it counts, and the master zeroes that process's gauges when it
 * reaps it, so the sum stays true after a crash.
 */
#ifndef BN_METRICS_H
#define BN_METRICS_H

#include "bouncer.h"
#include "peers.h"

#define BN_METRICS_ROWS (BN_PEERS_PROCS + 1) /* a row per process index, then the master's */
#define BN_METRICS_MASTER_ROW BN_PEERS_PROCS
#define BN_METRICS_SERIES 4096
#define BN_METRICS_VALUES 32768 /* values of all series, per row */
#define BN_METRICS_MAX_BUCKETS 32
#define BN_METRICS_LABEL 80

/* Kinds of series, with the values each holds (BN_MV_*). */
typedef enum {
    BN_MK_GLOBAL = 0, /* one: connections, TLS, process events */
    BN_MK_ROUTE,      /* a route of a server block: requests and their durations */
    BN_MK_SERVER,     /* a server block: bytes */
    BN_MK_PEER,       /* a server of an upstream */
    BN_MK_CACHE,      /* a cache zone */
    BN_MK_AUTH,       /* an auth policy */
    BN_MK_RATE,       /* a rate_limits rule */
    BN_MK_CONN,       /* a limit_conn rule */
    BN_MK_NKINDS
} bn_metric_kind_t;

/* The global series.  Gauges first: bn_metrics_release_row() zeroes them. */
enum {
    BN_MV_CONNS = 0,   /* gauge: client connections open */
    BN_MV_TLS_CONNS,   /* gauge: of them, over TLS */
    BN_MV_TUNNELS,     /* gauge: WebSocket tunnels open */
    BN_MV_H2_CONNS,    /* gauge: client connections speaking HTTP/2 */
    BN_MV_GLOBAL_GAUGES,
    BN_MV_HANDSHAKES = BN_MV_GLOBAL_GAUGES, /* by protocol: BN_METRIC_TLS_* added */
    BN_MV_RESUMED = BN_MV_HANDSHAKES + 3,
    BN_MV_RELOADS_OK = BN_MV_RESUMED + 3,
    BN_MV_RELOADS_FAILED,
    BN_MV_RESTARTS, /* by signal, 0: exited; 65 of them */
    BN_MV_REQUESTS_PROTO = BN_MV_RESTARTS + 65, /* by protocol: BN_METRIC_HTTP* added */
    BN_MV_H2_CALM = BN_MV_REQUESTS_PROTO + 3, /* HTTP/2 connections told ENHANCE_YOUR_CALM */
    BN_MV_GLOBAL_N
};

enum { BN_METRIC_TLS12 = 0, BN_METRIC_TLS13, BN_METRIC_TLS_OTHER };
enum { BN_METRIC_HTTP10 = 0, BN_METRIC_HTTP11, BN_METRIC_HTTP2 };

/* A route: requests by status class (1xx..5xx), then its duration histogram. */
enum { BN_MV_CLASS = 0, BN_MV_ROUTE_HIST = 5 };

/* A server block. */
enum { BN_MV_BYTES_IN = 0, BN_MV_BYTES_OUT, BN_MV_SERVER_N };

/* An upstream server: the gauge first, then counts, then its response time
 * histogram. */
enum {
    BN_MV_PEER_IDLE = 0, /* gauge: kept-alive connections waiting */
    BN_MV_PEER_REQUESTS,
    BN_MV_PEER_FAIL_CONNECT,
    BN_MV_PEER_FAIL_TIMEOUT,
    BN_MV_PEER_FAIL_RESET,
    BN_MV_PEER_FAIL_5XX,
    BN_MV_PEER_HIST
};

/* A cache zone: responses by what the cache did (X-Cache-Status). */
enum {
    BN_MV_CACHE_HIT = 0,
    BN_MV_CACHE_MISS,
    BN_MV_CACHE_STALE,
    BN_MV_CACHE_UPDATING,
    BN_MV_CACHE_REVALIDATED,
    BN_MV_CACHE_EXPIRED,
    BN_MV_CACHE_BYPASS,
    BN_MV_CACHE_N
};

/* An auth policy: requests by outcome. */
enum { BN_MV_AUTH_OK = 0, BN_MV_AUTH_UNAUTHORIZED, BN_MV_AUTH_FORBIDDEN, BN_MV_AUTH_ERROR,
       BN_MV_AUTH_N };

/* A rate_limits rule; a limit_conn rule has the first only. */
enum { BN_MV_RATE_REJECTED = 0, BN_MV_RATE_DELAYED, BN_MV_RATE_DRY_RUN, BN_MV_RATE_N };

typedef struct {
    uint8_t kind;     /* bn_metric_kind_t */
    uint8_t nbuckets; /* of its histogram; 0: none */
    bool retired;     /* another series took its labels (its buckets changed) */
    uint32_t base;    /* its first value */
    uint32_t nvalues;
    char label[2][BN_METRICS_LABEL]; /* e.g. server and route; "" where unused */
    uint32_t bounds[BN_METRICS_MAX_BUCKETS]; /* upper bounds, msec */
} bn_metric_series_t;

typedef struct bn_metrics_s bn_metrics_t;

/* What the master tells readers of itself and its processes (a status
 * page served by a worker knows neither). */
typedef struct {
    int32_t pid; /* 0: a free entry */
    uint32_t generation;
    int64_t started; /* wall clock, seconds */
    bool helper;
    bool draining;
} bn_metric_proc_t;

typedef struct {
    int32_t pid;
    uint32_t generation;
    int64_t started;     /* wall clock, seconds */
    int64_t loaded;      /* when the running config loaded */
    char config[256];    /* its file */
} bn_metric_master_t;

/* Readers copy these; the master is their one writer. */
bn_metric_master_t *bn_metrics_master(bn_metrics_t *m);
bn_metric_proc_t *bn_metrics_proc(bn_metrics_t *m, int index); /* NULL past the table */

/* Maps the table (master, once); NULL with errno. */
bn_metrics_t *bn_metrics_create(void);

/*
 * The series of kind under labels l1 and l2 (NULL: ""), with a histogram of
 * the bounds given (nbuckets 0: none): the one already there, or a new
 * one.  Returns its first value's index, -1 when the table is full (its
 * counts are then lost, never an error).  Master only.
 */
int32_t bn_metrics_series(bn_metrics_t *m, bn_metric_kind_t kind, const char *l1, const char *l2,
                          const uint64_t *bounds_msec, unsigned nbuckets);

/* The process's row: its proc index, or BN_METRICS_MASTER_ROW. */
void bn_metrics_use_row(bn_metrics_t *m, int row);
/* A process that held row is gone: its gauges go to zero (master). */
void bn_metrics_release_row(bn_metrics_t *m, int row);

/* The series registered so far, for readers; n set. */
const bn_metric_series_t *bn_metrics_list(const bn_metrics_t *m, size_t *n);
/* A value summed over every row. */
uint64_t bn_metrics_read(const bn_metrics_t *m, uint32_t index);

extern uint64_t *bn_metrics_row; /* this process's row; NULL: it counts nothing */

/* Adds n to value off of the series at base (-1: not counted). */
static inline void
bn_metric_add(int32_t base, unsigned off, uint64_t n)
{
    if (base >= 0 && bn_metrics_row != NULL) {
        uint64_t *v = &bn_metrics_row[(uint32_t) base + off];
        /* One writer per row: readers in other processes see whole values. */
        __atomic_store_n(v, *v + n, __ATOMIC_RELAXED);
    }
}

static inline void
bn_metric_sub(int32_t base, unsigned off)
{
    if (base >= 0 && bn_metrics_row != NULL) {
        uint64_t *v = &bn_metrics_row[(uint32_t) base + off];
        __atomic_store_n(v, *v - 1, __ATOMIC_RELAXED);
    }
}

/* One observation of msec into the histogram at value off of the series at
 * base, whose upper bounds are bounds[0..n): its bucket, then the sum. */
static inline void
bn_metric_observe(int32_t base, unsigned off, const uint64_t *bounds, unsigned n, uint64_t msec)
{
    unsigned b = 0;

    while (b < n && msec > bounds[b]) {
        b++;
    }
    bn_metric_add(base, off + b, 1);       /* n: +Inf */
    bn_metric_add(base, off + n + 1, msec); /* the sum, msec */
}

#endif
