/*
 * cache_types.h: what a request holds while the cache serves or stores it; the
 * cache's own state, which only cache.c and cache_refresh.c read.  Apart
 * from the functions (declared in cache.h) so that the request can hold it
 * without the request's header depending on the cache's code.
 */
#ifndef BN_WORKER_CACHE_TYPES_H
#define BN_WORKER_CACHE_TYPES_H

#include "../common/cache_meta.h"
#include "../common/http_cache.h"
#include "../common/clock.h"
#include "../common/list.h"

typedef struct {
    unsigned char key[16];  /* the entry's: the variant's when Vary applies */
    unsigned char base[16]; /* the route key's own */
    const char *vary;       /* the Vary list in force, or NULL */
    const char *key_text;   /* the route's key, expanded */
    bool lookup;            /* the request may be answered from, or stored in, the cache */
    bool store;             /* the response is being written to tmp */
    bool done;              /* bn_cache_finish() ran */
    int fd;                 /* the file being written or served; -1: none */
    char *tmp;
    int64_t expires;
    uint32_t age;               /* of the response being stored, when it came */
    uint8_t flags;              /* its BN_CACHE_F_* */
    bn_cache_control_t req_cc;  /* the request's Cache-Control (RFC 9111 5.2.1) */
    uint64_t off, left;         /* serving: where the body is, what is left */
    bool revalidating;          /* the upstream was sent the entry's validators */
    bool locked;                /* this request fills the key (cache.lock) */
    unsigned char lock_key[16]; /* the key locked (key may turn to a variant's) */
    uint64_t lock_token;        /* whose claim on it (bn_cache_lock()) */
    bn_msec_t wait_until;       /* waiting for another's fill until then */
    bool waiting;               /* on its zone's waiting list (cache.c) */
    bn_list_t wait;             /* on its zone's waiting list (cache.c) */
    uint64_t wait_round;        /* the list's wake round it joined in */
    bn_cache_meta_t meta;       /* the stored entry (fd open on it) */
    int stored_status;
    char *lines; /* its header lines */
    size_t lines_len;
    const char *updated; /* a 304's revalidation: the stored lines it updated (RFC 9111 3.2) */
    uint64_t body_len;
    uint64_t body_at; /* where the body begins in fd: the lines served may be a 304's, not the file's */
    const char *body; /* the body, when in memory (the memory tier) */
    const char *zin;  /* coded on the way out: the part of the body the encoder has yet to take */
    size_t zin_len;
    bool refused;     /* freshness() said never store, not merely stale */
} bn_cache_req_t;

#endif
