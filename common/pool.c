/*
 * pool.c: arena allocator.  Small allocations are carved from blocks; large
 * ones get their own malloc, linked so the pool frees them.  With
 * --with-debug-alloc (and --enable-asan) every allocation is its own malloc,
 * so AddressSanitizer sees the bounds of each one.
 */
#include "pool.h"

#define POOL_MAGIC 0x706f6f6cU
#define POOL_ALIGN 16

typedef struct pool_block_s pool_block_t;
struct pool_block_s {
    pool_block_t *next;
    char *last;
    char *end;
};

typedef struct pool_large_s pool_large_t;
struct pool_large_s {
    pool_large_t *next;
};

typedef struct pool_cleanup_s pool_cleanup_t;
struct pool_cleanup_s {
    pool_cleanup_t *next;
    bn_pool_cleanup_pt fn;
    void *data;
};

struct bn_pool_s {
    unsigned magic;
    size_t block_size;
    pool_block_t *current;
    pool_block_t first_hdr; /* header of the block allocated with the pool */
    pool_large_t *large;
    pool_cleanup_t *cleanups;
};

static inline size_t
align_up(size_t n)
{
    return (n + POOL_ALIGN - 1) & ~(size_t) (POOL_ALIGN - 1);
}

bn_pool_t *
bn_pool_create(size_t block_size)
{
    bn_pool_t *p;
    size_t hdr = align_up(sizeof(bn_pool_t));

    if (block_size < 256) {
        block_size = 256;
    }
    p = malloc(hdr + block_size);
    if (p == NULL) {
        return NULL;
    }
    p->magic = POOL_MAGIC;
    p->block_size = block_size;
    p->first_hdr.next = NULL;
    p->first_hdr.last = (char *) p + hdr;
    p->first_hdr.end = (char *) p + hdr + block_size;
    p->current = &p->first_hdr;
    p->large = NULL;
    p->cleanups = NULL;
    return p;
}

static void
pool_free_extra(bn_pool_t *p)
{
    pool_cleanup_t *c;
    pool_large_t *l, *ln;
    pool_block_t *b, *bn;

    /* Cleanups live in the pool's own memory: run them all first. */
    for (c = p->cleanups; c != NULL; c = c->next) {
        c->fn(c->data);
    }
    p->cleanups = NULL;
    for (l = p->large; l != NULL; l = ln) {
        ln = l->next;
        free(l);
    }
    p->large = NULL;
    for (b = p->first_hdr.next; b != NULL; b = bn) {
        bn = b->next;
        free(b);
    }
    p->first_hdr.next = NULL;
}

void
bn_pool_destroy(bn_pool_t *p)
{
    if (p == NULL) {
        return;
    }
    BN_CHECK_OBJ(p, POOL_MAGIC);
    pool_free_extra(p);
    p->magic = 0;
    free(p);
}

void
bn_pool_reset(bn_pool_t *p)
{
    BN_CHECK_OBJ(p, POOL_MAGIC);
    pool_free_extra(p);
    p->first_hdr.last = (char *) p + align_up(sizeof(bn_pool_t));
    p->current = &p->first_hdr;
}

static void *
alloc_large(bn_pool_t *p, size_t size)
{
    pool_large_t *l;
    size_t hdr = align_up(sizeof(pool_large_t));

    l = malloc(hdr + size);
    if (l == NULL) {
        return NULL;
    }
    l->next = p->large;
    p->large = l;
    return (char *) l + hdr;
}

void *
bn_palloc(bn_pool_t *p, size_t size)
{
    pool_block_t *b;
    size_t hdr, n;
    char *m;

    BN_CHECK_OBJ(p, POOL_MAGIC);
#ifdef BN_DEBUG_ALLOC
    return alloc_large(p, size ? size : 1);
#endif
    n = align_up(size ? size : 1);
    if (n > p->block_size / 2) {
        return alloc_large(p, size);
    }
    b = p->current;
    if ((size_t) (b->end - b->last) >= n) {
        m = b->last;
        b->last += n;
        return m;
    }
    hdr = align_up(sizeof(pool_block_t));
    b = malloc(hdr + p->block_size);
    if (b == NULL) {
        return NULL;
    }
    b->last = (char *) b + hdr + n;
    b->end = (char *) b + hdr + p->block_size;
    b->next = NULL;
    p->current->next = b;
    p->current = b;
    return (char *) b + hdr;
}

void *
bn_pcalloc(bn_pool_t *p, size_t size)
{
    void *m = bn_palloc(p, size);

    if (m != NULL) {
        memset(m, 0, size);
    }
    return m;
}

char *
bn_pstrndup(bn_pool_t *p, const char *s, size_t n)
{
    char *d = bn_palloc(p, n + 1);

    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *
bn_pstrdup(bn_pool_t *p, const char *s)
{
    return bn_pstrndup(p, s, strlen(s));
}

char *
bn_psprintf(bn_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *d;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return NULL;
    }
    d = bn_palloc(p, (size_t) n + 1);
    if (d == NULL) {
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(d, (size_t) n + 1, fmt, ap);
    va_end(ap);
    return d;
}

int
bn_pool_cleanup_add(bn_pool_t *p, bn_pool_cleanup_pt fn, void *data)
{
    pool_cleanup_t *c = bn_palloc(p, sizeof(*c));

    if (c == NULL) {
        return BN_ERROR;
    }
    c->fn = fn;
    c->data = data;
    c->next = p->cleanups;
    p->cleanups = c;
    return BN_OK;
}
