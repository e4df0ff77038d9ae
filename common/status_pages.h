/* status_pages.h: the status pages (status_pages.c). */
#ifndef BN_STATUS_PAGES_H
#define BN_STATUS_PAGES_H

#include "conf.h"
#include "pool.h"

typedef enum { BN_STATUS_METRICS = 0, BN_STATUS_JSON, BN_STATUS_DASHBOARD } bn_status_page_t;

/*
 * The page of conf's figures, in memory from pool; nonce is the dashboard's
 * script and style nonce (the CSP names it).  NULL when memory runs out.
 */
const char *bn_status_page(bn_conf_t *conf, bn_pool_t *pool, bn_status_page_t which,
                           const char *nonce);

#endif
