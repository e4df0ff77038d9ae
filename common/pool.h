/*
 * pool.h: memory pools, one per lifetime (config generation, connection,
 * request), each freed whole.  Cleanups registered on a pool run when it is
 * destroyed, in reverse order of registration.
 */
#ifndef BN_POOL_H
#define BN_POOL_H

#include "bouncer.h"

typedef struct bn_pool_s bn_pool_t;

typedef void (*bn_pool_cleanup_pt)(void *data);

/* Returns NULL when memory is exhausted. */
bn_pool_t *bn_pool_create(size_t block_size);
void bn_pool_destroy(bn_pool_t *pool);
/* Frees everything but the first block, for reuse by the next request. */
void bn_pool_reset(bn_pool_t *pool);

void *bn_palloc(bn_pool_t *pool, size_t size);
void *bn_pcalloc(bn_pool_t *pool, size_t size);
char *bn_pstrdup(bn_pool_t *pool, const char *s);
char *bn_pstrndup(bn_pool_t *pool, const char *s, size_t n);
char *bn_psprintf(bn_pool_t *pool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns BN_OK, or BN_ERROR when memory is exhausted (fn is not called). */
int bn_pool_cleanup_add(bn_pool_t *pool, bn_pool_cleanup_pt fn, void *data);

#endif
