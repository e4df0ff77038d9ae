/* access_waf.h: what worker/access_waf.c exports. */
#ifndef BN_WORKER_ACCESS_WAF_H
#define BN_WORKER_ACCESS_WAF_H

#include "phase_types.h"

/* The last access handler: the WAF. */
extern const bn_access_module_t bn_access_waf;

#endif
